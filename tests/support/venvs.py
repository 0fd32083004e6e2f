"""Virtualenvs with the telemetry helper (telemetry/) installed at one dependency resolution.

    python = telemetry_venv("lowest")      # .../bin/python with flaskops-flask installed

Three resolutions of telemetry/pyproject.toml's ranges, the ones CI tests:
- "lock": the versions of the repository's uv.lock (what `make test` runs elsewhere);
- "lowest": the lowest versions the ranges allow (`uv pip compile --resolution lowest-direct`);
- "highest": the newest versions that resolve today.

Each venv is built with uv under ~/.cache/flaskops/telemetry-venvs (FLASKOPS_CACHE moves it),
outside the repository,
keyed by the resolution, the resolved pins and the helper's sources, so a warm run reuses it
and a change to any of them builds a fresh one. The helper is installed normally, with its
dependency checks on, and `uv pip check` must pass.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
TELEMETRY = REPO / "telemetry"
# As hack/tools.sh: FLASKOPS_CACHE, else $XDG_CACHE_HOME/flaskops, else ~/.cache/flaskops.
_XDG = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
CACHE = Path(os.environ.get("FLASKOPS_CACHE") or _XDG / "flaskops") / "telemetry-venvs"
RESOLUTIONS = ("lock", "lowest", "highest")
_KEEP_PER_RESOLUTION = 3


def _uv(*args: str) -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv not found: install it with `python3 -m pip install uv`")
    proc = subprocess.run([uv, *args], capture_output=True, text=True, cwd=REPO, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"uv {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def pins(resolution: str) -> str:
    """The third-party requirements (name==version lines) of one resolution."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if resolution == "lock":
        out = _uv(
            "export",
            "--frozen",
            "--package",
            "flaskops-flask",
            "--no-dev",
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--format",
            "requirements-txt",
        )
    elif resolution in ("lowest", "highest"):
        strategy = "lowest-direct" if resolution == "lowest" else "highest"
        out = _uv(
            "pip",
            "compile",
            str(TELEMETRY / "pyproject.toml"),
            "--resolution",
            strategy,
            "--python-version",
            python,
            "--no-header",
            "--no-annotate",
            "--quiet",
        )
    else:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}, got {resolution!r}")
    lines = [ln.split(";")[0].strip() for ln in out.splitlines()]
    return "\n".join(sorted(ln for ln in lines if ln and not ln.startswith(("#", " ")))) + "\n"


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(TELEMETRY.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(TELEMETRY)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def telemetry_venv(resolution: str) -> Path:
    """The python of a venv holding flaskops-flask at `resolution` (built on first use)."""
    requirements = pins(resolution)
    key = hashlib.sha256(f"{sys.version}\n{requirements}{_sources_digest()}".encode()).hexdigest()
    venv = CACHE / f"{resolution}-{key[:16]}"
    python = venv / "bin" / "python"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{resolution}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel runs (other worktrees) build it once
        if (venv / ".complete").exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        _uv("venv", "--quiet", "--python", sys.executable, str(venv))
        (venv / "requirements.txt").write_text(requirements)
        _uv(
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-r",
            str(venv / "requirements.txt"),
            str(TELEMETRY),
        )
        _uv("pip", "check", "--python", str(python))
        (venv / ".complete").write_text(requirements)
        _prune(resolution, keep=venv)
    return python


def _prune(resolution: str, keep: Path) -> None:
    old = sorted(CACHE.glob(f"{resolution}-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in [p for p in old if p != keep][_KEEP_PER_RESOLUTION - 1 :]:
        shutil.rmtree(path, ignore_errors=True)


def installed(python: Path) -> dict[str, str]:
    """name -> version of every distribution in the venv of `python`."""
    out = subprocess.run(
        [str(python), "-c", _LIST], capture_output=True, text=True, check=True
    ).stdout
    pairs = (line.split("==", 1) for line in out.splitlines() if "==" in line)
    return {canonicalize_name(name): have for name, have in pairs}


_LIST = (
    "from importlib.metadata import distributions as d\n"
    "for x in d(): print(f\"{x.metadata['Name'].lower()}=={x.version}\")"
)
