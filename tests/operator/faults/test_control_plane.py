"""The control plane goes away mid-rollout: kube-apiserver stopped for 20 s, etcd
restarted. The same operator process (never restarted) picks up within 30 s of the API
returning, and the rollout finishes with one Promoted Event."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from tests.operator.cluster.test_lifecycle import NAME
from tests.operator.conftest import OperatorFactory
from tests.operator.faults.conftest import ControlPlane
from tests.operator.faults.helpers import (
    at_weight,
    outcome_events,
    owned_deployments,
    phase,
    release,
    start_service,
)
from tests.support.audit import AuditLog, audit_log_path, timestamp
from tests.support.kube import Kubectl
from tests.support.prometheus import Prometheus
from tests.support.standins import serving


def wait_api(kubectl: Kubectl, timeout: float = 90) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(subprocess.TimeoutExpired):
            if kubectl.run("get", "--raw", "/readyz", check=False, timeout=5).returncode == 0:
                return time.time()
        time.sleep(0.2)
    raise AssertionError("the API server did not come back")


@pytest.mark.parametrize(("part", "down_s"), [("kube-apiserver", 20.0), ("etcd", 3.0)])
def test_outage_mid_rollout_recovers_without_a_restart(
    part: str,
    down_s: float,
    operators: OperatorFactory,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    component: ControlPlane,
    tmp_path: Path,
) -> None:
    op = operators.start(resync=600.0)
    assert op.proc is not None
    pid = op.proc.pid
    # The operator is back within seconds, but kube-controller-manager's informers retry
    # with client-go's backoff (up to 30 s plus jitter): its canary pods can take a minute
    # after the API returns. The budget of inconclusive analyses a user would give such a
    # rollout (5 s apart) has to outlast that, or the right outcome is a rollback.
    spec = start_service(kubectl, namespace, prometheus, inconclusiveLimit=40)
    audit = AuditLog(audit_log_path(kubectl.kubeconfig))
    with serving(kubectl, prometheus, namespace, NAME, tmp_path):
        release(kubectl, namespace, spec, "1.1.0")
        at_weight(kubectl, namespace, 20)
        component.outage(part, down_s)
        back = wait_api(kubectl)
        mark = audit.mark()
        done = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: phase("Ready")(o) and o["status"]["image"].endswith(":1.1.0"),
            "-n",
            namespace,
            timeout=240,
        )
    assert op.proc.poll() is None
    assert op.proc.pid == pid, "the operator was restarted"
    writes = [
        timestamp(e)
        for e in audit.events(mark, user=operators.user)
        if e["verb"] == "patch" and (e.get("objectRef") or {}).get("subresource") == "status"
    ]
    assert writes, "no status written after the outage"
    assert min(writes) - back < 30, f"first status write {min(writes) - back:.1f}s after the API"
    assert outcome_events(kubectl, namespace) == {"Promoted": 1, "RolledBack": 0}
    assert owned_deployments(kubectl, namespace, done["metadata"]["uid"]) == [NAME]
