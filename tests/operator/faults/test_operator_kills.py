"""The operator SIGKILLed at 20 random moments across good and bad rollouts: each rollout
converges, with exactly one Promoted or RolledBack Event, no orphaned children, and a
failed canary never touches the stable track."""

from __future__ import annotations

import random
import time
from pathlib import Path

from tests.operator.cluster.test_lifecycle import NAME
from tests.operator.conftest import OperatorFactory
from tests.operator.faults.helpers import (
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

PLAN = [("1.1.0", False), ("1.2.0", True), ("1.3.0", False), ("1.4.0", True)]
KILLS_PER_ROLLOUT = 5  # 20 in all


def test_sigkill_at_random_moments_never_breaks_a_rollout(
    operators: OperatorFactory,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    rng = random.Random(19)  # the moments are random, the run repeatable
    op = operators.start()
    spec = start_service(kubectl, namespace, prometheus, successRate={"min": 95, "abortBelow": 80})
    kills = 0
    with serving(kubectl, prometheus, namespace, NAME, tmp_path):
        for tag, bad in PLAN:
            before = outcome_events(kubectl, namespace)
            stable_before = stable_template(kubectl, namespace)
            release(kubectl, namespace, spec, tag, bad=bad)
            for _ in range(KILLS_PER_ROLLOUT):
                time.sleep(rng.uniform(0.2, 4.0))
                op.kill()
                kills += 1
                op.start()
            want = "Failed" if bad else "Ready"
            done = kubectl.wait_for(
                f"flaskservice/{NAME}",
                lambda o, tag=tag, want=want: (
                    phase(want)(o)
                    and (want == "Failed" or o["status"]["image"].endswith(f":{tag}"))
                ),
                "-n",
                namespace,
                timeout=150,
            )
            after = outcome_events(kubectl, namespace)
            reason = "RolledBack" if bad else "Promoted"
            other = "Promoted" if bad else "RolledBack"
            assert after[reason] - before[reason] == 1, (tag, before, after)
            assert after[other] == before[other], (tag, before, after)
            if bad:
                assert stable_template(kubectl, namespace) == stable_before, tag
            assert owned_deployments(kubectl, namespace, done["metadata"]["uid"]) == [NAME]
    assert kills == 20
