"""Run the two health computations GitOps tools use on FlaskService objects:
Argo CD's (the shipped health.lua, in Lua 5.1 like Argo CD's gopher-lua) and Flux's
(kstatus, sigs.k8s.io/cli-utils, via hack/kstatus)."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from lupa import lua51

from tests.gitops.fixtures import HEALTH_DIR
from tests.support.cluster import locked
from tests.support.tools import REPO, require

KSTATUS_SRC = REPO / "hack/kstatus"


def _to_lua(lua: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return lua.table_from({k: _to_lua(lua, v) for k, v in value.items()})
    if isinstance(value, list):
        return lua.table_from([_to_lua(lua, v) for v in value])
    return value


def argocd_health(objs: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """name -> {status, message}, as Argo CD's health assessment returns them."""
    script = (HEALTH_DIR / "health.lua").read_text()
    out = {}
    for name, obj in objs.items():
        lua = lua51.LuaRuntime(unpack_returned_tuples=True)
        # Argo CD (useOpenLibs off) opens only base, table, package and a safe os: a script
        # that needs string, math, io or debug works here no more than there.
        lua.execute("string, math, io, os, debug, coroutine, dofile, loadfile = nil")
        lua.globals().obj = _to_lua(lua, obj)
        result = lua.execute(script)
        out[name] = {"status": str(result["status"]), "message": str(result["message"])}
    return out


@functools.cache
def kstatus_binary() -> str:
    """hack/kstatus built once per source version (Go's build cache makes rebuilds cheap)."""
    digest = hashlib.sha256()
    for f in sorted(KSTATUS_SRC.iterdir()):
        digest.update(f.name.encode() + f.read_bytes())
    out = Path(tempfile.gettempdir()) / f"flaskops-kstatus-{digest.hexdigest()[:12]}"
    with locked("kstatus-build"):
        if not out.exists():
            proc = subprocess.run(
                [require("go"), "build", "-o", str(out), "."],
                cwd=KSTATUS_SRC, capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip
            assert proc.returncode == 0, f"building hack/kstatus failed:\n{proc.stderr}"
    return str(out)


def kstatus(objs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """name -> kstatus status (Current, InProgress, Failed, Terminating, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, obj in objs.items():
            files[name] = Path(tmp) / f"{name}.yaml"
            files[name].write_text(yaml.safe_dump(obj))
        proc = subprocess.run(
            [kstatus_binary(), *map(str, files.values())],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"hack/kstatus failed: {proc.stderr}"
        verdicts = json.loads(proc.stdout)
        return {name: verdicts[str(f)]["status"] for name, f in files.items()}
