"""The helper is its own distribution: a service installs it without the operator, with pip's
dependency checks on, and the operator's wheel no longer carries it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.services import SERVICES_DIR
from tests.support.venvs import REPO, TELEMETRY

OPERATOR_ONLY = {"kopf", "kubernetes"}


def pip(venv: Path, *args: str) -> str:
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"pip {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def installed(venv: Path) -> set[str]:
    return {
        line.split("==")[0].lower() for line in pip(venv, "list", "--format=freeze").splitlines()
    }


@pytest.mark.xdist_group("telemetry-lock")
def test_the_dockerfile_pip_steps_install_the_helper_alone_and_pip_check_passes(
    tmp_path: Path,
) -> None:
    # What examples/services/Dockerfile runs, in the same order, with real pip.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pinned = SERVICES_DIR / "requirements.txt"
    pip(venv, "install", "--quiet", "--only-binary=:all:", "-r", str(pinned))
    before = installed(venv)
    pip(venv, "install", "--quiet", "--only-binary=:all:", str(TELEMETRY))
    after = installed(venv)
    # Every dependency of the helper was already pinned: installing it added only itself.
    assert after - before == {"flaskops-flask"}
    assert not OPERATOR_ONLY & after, OPERATOR_ONLY & after
    assert "No broken requirements found" in pip(venv, "check")
    probe = "import flaskops_flask; print(flaskops_flask.instrument.__module__)"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "flaskops_flask"


def build_wheel(tmp_path: Path, *package: str) -> zipfile.ZipFile:
    uv = shutil.which("uv")
    assert uv, "uv missing: python3 -m pip install uv"
    out = tmp_path / "dist"
    subprocess.run(
        [uv, "build", "--quiet", "--wheel", "--out-dir", str(out), *package],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def requires(wheel: zipfile.ZipFile) -> set[str]:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    lines = wheel.read(metadata).decode().splitlines()
    names = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Requires-Dist:")]
    return {
        n.split(">")[0].split("<")[0].split("=")[0].split(";")[0].strip().lower() for n in names
    }


def test_the_operator_wheel_ships_no_helper_and_the_helper_wheel_no_operator(
    tmp_path: Path,
) -> None:
    operator = build_wheel(tmp_path / "operator")
    files = operator.namelist()
    assert any(n.startswith("flaskops/reconcile.py") for n in files), files[:10]
    assert not [n for n in files if n.startswith(("flaskops/flask/", "flaskops_flask/"))]
    assert not {"flask", "gunicorn", "opentelemetry-instrumentation-flask"} & requires(operator)

    helper = build_wheel(tmp_path / "helper", "--package", "flaskops-flask")
    modules = {n for n in helper.namelist() if not n.startswith("flaskops_flask-")}
    assert modules, helper.namelist()
    assert all(n.startswith("flaskops_flask/") for n in modules), modules
    assert "flaskops_flask/py.typed" in modules
    assert not OPERATOR_ONLY & requires(helper)
