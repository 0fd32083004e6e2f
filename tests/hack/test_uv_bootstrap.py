"""A machine without uv: the Makefile installs the pinned one into ~/.local/bin before
`make venv` uses it (the README's promise that Go, Python 3.11+ and make are enough)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.tools import REPO

UV_VERSION = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)


def make(tmp_path: Path, *args: str, uv_on_path: bool = False) -> subprocess.CompletedProcess[str]:
    """`make` with HOME in tmp_path and a PATH holding python3 (the interpreter behind this
    venv, with its pip) and the system's tools, but no uv unless asked."""
    bindir = tmp_path / "bin"
    if not bindir.exists():
        bindir.mkdir()
        (bindir / "python3").symlink_to(Path(sys.executable).resolve())
    path = f"{bindir}:/usr/bin:/bin"
    if uv_on_path:
        found = shutil.which("uv")
        assert found, "no uv on this test's PATH"
        path = f"{Path(found).parent}:{path}"
    else:
        assert shutil.which("uv", path=path) is None, f"{path} has a uv"
    drop = ("UV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # The real pip cache: a warm run downloads nothing.
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache/pip"))
    env.update(HOME=str(tmp_path / "home"), PATH=path)
    return subprocess.run(
        ["make", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_make_venv_installs_the_pinned_uv_first_when_none_is_on_path(tmp_path: Path) -> None:
    assert UV_VERSION
    uv = tmp_path / "home/.local/bin/uv"
    plan = make(tmp_path, "-n", "venv")
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    install = next(i for i, line in enumerate(lines) if "pip install --user" in line)
    assert f'"uv=={UV_VERSION.group(1)}"' in lines[install]
    assert lines[install + 1].startswith(f"{uv} sync --frozen"), lines
    # The install recipe itself, for real: the pinned uv lands where `make venv` runs it,
    # even from a Python that already has uv as a package (pip would skip it otherwise).
    proc = make(tmp_path, "-s", str(uv))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert uv.is_file(), f"make installed no {uv}: {proc.stdout + proc.stderr}"
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith(f"uv {UV_VERSION.group(1)} "), version.stdout


def test_a_uv_on_path_is_used_as_it_is(tmp_path: Path) -> None:
    plan = make(tmp_path, "-n", "venv", uv_on_path=True)
    assert plan.returncode == 0, plan.stderr
    assert "pip install" not in plan.stdout
    assert re.search(r"^\S+/uv sync --frozen", plan.stdout, re.M), plan.stdout
