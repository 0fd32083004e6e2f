"""Render the charts with the real helm and look objects up in the result."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.cluster import locked
from tests.support.tools import REPO, require

CHARTS = REPO / "charts"
SERVICE_CHART = CHARTS / "flask-service"
LIB_TEST_CHART = CHARTS / "flask-lib-test"
# APIs a cluster with prometheus-operator and Gateway API serves; `helm template` knows
# none of them unless told, and the chart renders monitors only where the API exists.
CRD_APIS = ("monitoring.coreos.com/v1", "gateway.networking.k8s.io/v1")
KUBE_VERSION = "v1.35.4"
RELEASE = "rel"
NAMESPACE = "demo"
FULLNAME = "rel-flask-service"


def build_dependencies() -> None:
    """`helm dependency build` for the charts that depend on flask-lib (file://), once per run.

    The build replaces charts/*/charts/flask-lib-*.tgz, which breaks a `helm template` that
    reads it at that moment; so the first worker builds under a lock and the others only
    wait for it.
    """
    helm = require("helm")
    run_id = os.environ.get("FLASKOPS_TEST_RUN", str(os.getpid()))
    done = Path(tempfile.gettempdir()) / f"flaskops-chart-deps-{run_id}.done"
    with locked("chart-deps"):
        if done.exists():
            return
        for chart in (SERVICE_CHART, LIB_TEST_CHART):
            subprocess.run(
                [helm, "dependency", "build", str(chart)],
                check=True,
                capture_output=True,
                text=True,
            )
        done.touch()


@dataclass(frozen=True)
class Manifest:
    objects: list[dict[str, Any]]

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def names(self, kind: str) -> set[str]:
        return {o["metadata"]["name"] for o in self.all(kind)}

    def get(self, kind: str, name: str = FULLNAME) -> dict[str, Any]:
        found = [o for o in self.all(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: found {len(found)} in {self.summary()}"
        return found[0]

    def summary(self) -> list[str]:
        return [f"{o['kind']}/{o['metadata']['name']}" for o in self.objects]


def helm_template(
    values: dict[str, Any] | None = None,
    *,
    chart: Path = SERVICE_CHART,
    values_files: Sequence[Path] = (),
    api_versions: Sequence[str] = CRD_APIS,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
    extra: Sequence[str] = (),
    command: str = "template",
) -> subprocess.CompletedProcess[str]:
    """`helm template` (or, with command="install" and --dry-run=client, an offline install)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as fh:
        yaml.safe_dump(values or {}, fh)
        fh.flush()
        argv = [require("helm"), command, release, str(chart), "--namespace", namespace]
        if command == "template":  # install takes both from the cluster (or helm's defaults)
            argv += [
                "--kube-version",
                KUBE_VERSION,
                *(f"--api-versions={api}" for api in api_versions),
            ]
        for f in (*values_files, Path(fh.name)):
            argv += ["--values", str(f)]
        return subprocess.run([*argv, *extra], capture_output=True, text=True, timeout=60)


def render(values: dict[str, Any] | None = None, **kwargs: Any) -> Manifest:
    proc = helm_template(values, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return Manifest([o for o in yaml.safe_load_all(proc.stdout) if o])


def render_error(values: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """Render values the chart must refuse; return helm's error output."""
    proc = helm_template(values, **kwargs)
    assert proc.returncode != 0, f"helm template accepted {values}"
    return proc.stderr


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def env_map(deployment: dict[str, Any]) -> dict[str, Any]:
    """name -> value (or valueFrom) of the app container; duplicate names fail."""
    env = container(deployment)["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in env}
