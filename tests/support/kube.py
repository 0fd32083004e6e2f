"""Thin helpers that run the real kubectl and helm against the test cluster."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class CommandError(AssertionError):
    def __init__(self, argv: Sequence[str], proc: subprocess.CompletedProcess[str]) -> None:
        self.proc = proc
        self.stderr = proc.stderr
        super().__init__(
            f"{' '.join(argv)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        )


@dataclass(frozen=True)
class Tool:
    binary: str
    kubeconfig: Path

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        argv = [self.binary, "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise CommandError(argv, proc)
        return proc


class Kubectl(Tool):
    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def apply(self, objs: Any, *args: str) -> subprocess.CompletedProcess[str]:
        text = objs if isinstance(objs, str) else yaml.safe_dump_all(_as_list(objs))
        return self.run("apply", "-f", "-", *args, input=text)

    def wait_for(
        self, what: str, predicate: Callable[[Any], bool], *args: str, timeout: float = 90
    ) -> Any:
        """Poll `kubectl get what -o json` until predicate(obj) holds; return the object."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            proc = self.run("get", what, *args, "-o", "json", check=False)
            if proc.returncode == 0:
                last = json.loads(proc.stdout)
                if predicate(last):
                    return last
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout}s waiting on {what}; last seen: {last}")

    def wait_gone(self, *what: str, timeout: float = 180) -> None:
        """Until each object (`namespace/shop`) no longer exists, deleted or never there."""
        deadline = time.monotonic() + timeout
        for name in what:
            while self.run("get", name, "--ignore-not-found", "-o", "name").stdout.strip():
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} still exists after {timeout}s")
                time.sleep(0.5)

    def wait_established(self, *crds: str, timeout: float = 60) -> None:
        """Until each CRD is Established (`kubectl wait` errors while status is still empty)."""
        for crd in crds:
            self.wait_for(
                f"crd/{crd}",
                lambda o: any(
                    c["type"] == "Established" and c["status"] == "True"
                    for c in (o.get("status") or {}).get("conditions") or []
                ),
                timeout=timeout,
            )


class Helm(Tool):
    """helm with the test cluster's kubeconfig."""


def _as_list(objs: Any) -> list[Any]:
    return objs if isinstance(objs, list) else [objs]
