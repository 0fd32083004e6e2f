"""Prometheus killed during analysis: never a promotion; every check inconclusive with a
message that says why; rolled back at inconclusiveLimit, or resumed when Prometheus comes
back before it."""

from __future__ import annotations

import time
from pathlib import Path

from tests.operator.cluster.test_lifecycle import NAME
from tests.operator.conftest import OperatorFactory
from tests.operator.faults.helpers import (
    at_weight,
    outcome_events,
    owned_deployments,
    phase,
    release,
    stable_template,
    start_service,
)
from tests.support.kube import Kubectl
from tests.support.prometheus import Prometheus
from tests.support.standins import serving


def test_down_until_the_limit_rolls_back_and_never_promotes(
    operators: OperatorFactory,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    operators.start()
    spec = start_service(kubectl, namespace, prometheus, inconclusiveLimit=3)
    stable = stable_template(kubectl, namespace)
    try:
        with serving(kubectl, prometheus, namespace, NAME, tmp_path):
            release(kubectl, namespace, spec, "1.1.0")
            at_weight(kubectl, namespace, 20)
            prometheus.kill()
            failed = kubectl.wait_for(
                f"flaskservice/{NAME}", phase("Failed"), "-n", namespace, timeout=90
            )
    finally:
        prometheus.start()
    checks = failed["status"]["rollout"]["lastAnalysis"]["checks"]
    assert {c["outcome"] for c in checks} == {"inconclusive"}
    conds = {c["type"]: c for c in failed["status"]["conditions"]}
    assert "3 inconclusive analyses" in conds["Stalled"]["message"]
    assert "prometheus unreachable" in conds["Stalled"]["message"]
    assert outcome_events(kubectl, namespace) == {"Promoted": 0, "RolledBack": 1}
    assert stable_template(kubectl, namespace) == stable, "the failed canary touched stable"
    assert owned_deployments(kubectl, namespace, failed["metadata"]["uid"]) == [NAME]


def test_back_before_the_limit_resumes_the_rollout(
    operators: OperatorFactory,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    operators.start()
    spec = start_service(kubectl, namespace, prometheus, inconclusiveLimit=6)
    with serving(kubectl, prometheus, namespace, NAME, tmp_path):
        release(kubectl, namespace, spec, "1.1.0")
        at_weight(kubectl, namespace, 20)
        prometheus.kill()
        try:
            held = kubectl.wait_for(
                f"flaskservice/{NAME}",
                lambda o: "prometheus unreachable" in o["status"].get("message", ""),
                "-n",
                namespace,
                timeout=60,
            )
            assert held["status"]["phase"] == "Progressing"
            assert held["status"]["rollout"]["inconclusiveChecks"] < 6
            time.sleep(1)
        finally:
            prometheus.start()
        done = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: phase("Ready")(o) and o["status"]["image"].endswith(":1.1.0"),
            "-n",
            namespace,
            timeout=120,
        )
    assert outcome_events(kubectl, namespace) == {"Promoted": 1, "RolledBack": 0}
    assert owned_deployments(kubectl, namespace, done["metadata"]["uid"]) == [NAME]
