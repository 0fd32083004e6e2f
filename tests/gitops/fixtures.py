"""FlaskService objects exported from the cluster tests, as the GitOps health checks'
fixtures (Argo CD's testdata/ layout). tests/operator/cluster/test_gitops_states.py drives
a real FlaskService through every state and exports or compares them; `make
gitops-fixtures` rewrites them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import REPO

HEALTH_DIR = REPO / "examples/gitops/argocd/resource_customizations/flaskops.io/FlaskService"
TESTDATA = HEALTH_DIR / "testdata"

# fixture name -> (Argo CD health status, kstatus status)
EXPECTED: dict[str, tuple[str, str]] = {
    "ready": ("Healthy", "Current"),
    "generation-not-observed": ("Progressing", "InProgress"),
    "canary-progressing": ("Progressing", "InProgress"),
    "paused": ("Suspended", "InProgress"),
    "rolled-back": ("Degraded", "Failed"),
    "render-failed": ("Degraded", "Failed"),
    "deleting": ("Progressing", "Terminating"),
}

_DROP_METADATA = ("managedFields", "uid", "resourceVersion", "creationTimestamp")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PROMETHEUS_URL = "http://prometheus.monitoring:9090"


def export(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as committed: server bookkeeping and this run's namespace and ports
    replaced, everything the health checks read left exactly as the operator wrote it."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    for key in _DROP_METADATA:
        meta.pop(key, None)
    (meta.get("annotations") or {}).pop(LAST_APPLIED, None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)
    meta["namespace"] = "shop"
    prom = ((out["spec"].get("rollout") or {}).get("analysis") or {}).get("prometheus")
    if prom:
        # This run's loopback Prometheus, also inside kopf's last-handled annotation.
        loopback, prom["url"] = prom["url"], PROMETHEUS_URL
        for key, value in (meta.get("annotations") or {}).items():
            meta["annotations"][key] = value.replace(loopback, PROMETHEUS_URL)
    return out


def projection(obj: dict[str, Any]) -> dict[str, Any]:
    """What decides an object's health: compared between the live and committed objects
    (timestamps, measured values and messages differ from run to run)."""
    meta, st = obj["metadata"], obj.get("status") or {}
    return {
        "deleting": "deletionTimestamp" in meta,
        "generationObserved": st.get("observedGeneration") == meta.get("generation"),
        "paused": bool((obj["spec"].get("rollout") or {}).get("paused")),
        "phase": st.get("phase"),
        "step": st.get("step"),
        "weight": st.get("weight"),
        "conditions": sorted(
            (c["type"], c["status"], c["reason"]) for c in st.get("conditions") or []
        ),
    }


def path(name: str) -> Path:
    return TESTDATA / f"{name}.yaml"


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load(path(name).read_text()))


def write(name: str, obj: dict[str, Any]) -> None:
    TESTDATA.mkdir(parents=True, exist_ok=True)
    path(name).write_text(yaml.safe_dump(export(obj), sort_keys=False))
