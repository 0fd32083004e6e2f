"""A real FlaskService driven through every state a GitOps tool has to tell apart, with
the real operator and gunicorn stand-ins serving real traffic scraped by a real
Prometheus. Each state is exported (FLASKOPS_UPDATE_FIXTURES=1, `make gitops-fixtures`)
or compared with the committed fixture that the Argo CD health check and kstatus run on,
and both checks are also run on the live object."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.gitops import fixtures
from tests.gitops.health import argocd_health, kstatus
from tests.operator.cluster.test_canary_modes import canary_spec
from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.operator.cluster.test_rollouts import guarded_chart
from tests.support.kube import Kubectl
from tests.support.operator import OperatorProcess
from tests.support.prometheus import Prometheus
from tests.support.standins import serving

UPDATE = os.environ.get("FLASKOPS_UPDATE_FIXTURES") == "1"


def _status(o: dict[str, Any]) -> dict[str, Any]:
    return o.get("status") or {}


def _conds(o: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in _status(o).get("conditions") or []}


class States:
    def __init__(self) -> None:
        self.live: dict[str, dict[str, Any]] = {}

    def record(self, name: str, obj: dict[str, Any]) -> None:
        self.live[name] = obj
        if UPDATE:
            fixtures.write(name, obj)

    def check(self) -> None:
        assert sorted(self.live) == sorted(fixtures.EXPECTED)
        live = {n: fixtures.export(o) for n, o in self.live.items()}
        got_lua = argocd_health(live)
        got_kstatus = kstatus(live)
        for name, (health, kst) in fixtures.EXPECTED.items():
            assert (got_lua[name]["status"], got_kstatus[name]) == (health, kst), (
                name,
                got_lua[name],
            )
            committed = fixtures.load(name)
            assert fixtures.projection(committed) == fixtures.projection(live[name]), (
                f"fixture {name} no longer matches what the operator produces: make gitops-fixtures"
            )


# Long (a whole canary): one worker runs the GitOps suites while the other goes on.
@pytest.mark.xdist_group("gitops-cluster")
def test_flaskservice_states_as_gitops_tools_see_them(
    operator: OperatorProcess,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    states = States()
    obj = f"flaskservice/{NAME}"
    ns = ("-n", namespace)
    spec = canary_spec(prometheus, "replicas", "1.0.0")
    spec["rollout"]["analysis"]["successRate"]["abortBelow"] = 80
    kubectl.apply(fsvc(spec), *ns)
    states.record("ready", kubectl.wait_for(obj, ready, *ns, timeout=120))

    # The operator down while the spec changes: a generation nobody has observed yet.
    operator.stop()
    spec["replicaCount"] = 5
    kubectl.apply(fsvc(spec), *ns)
    unobserved = kubectl.json("get", obj, *ns)
    assert unobserved["metadata"]["generation"] > _status(unobserved)["observedGeneration"]
    states.record("generation-not-observed", unobserved)
    operator.start()
    kubectl.wait_for(obj, ready, *ns, timeout=60)

    with serving(kubectl, prometheus, namespace, NAME, tmp_path):
        spec["image"]["tag"] = "1.1.0"
        kubectl.apply(fsvc(spec), *ns)
        canary = kubectl.wait_for(
            obj, lambda o: _status(o).get("weight") == 20 and _status(o).get("phase") == "Progressing",
            *ns, timeout=60,
        )  # fmt: skip
        states.record("canary-progressing", canary)

        spec["rollout"]["paused"] = True
        kubectl.apply(fsvc(spec), *ns)
        states.record(
            "paused", kubectl.wait_for(obj, lambda o: _status(o).get("phase") == "Paused", *ns)
        )
        spec["rollout"]["paused"] = False
        kubectl.apply(fsvc(spec), *ns)
        kubectl.wait_for(
            obj, lambda o: ready(o) and _status(o)["image"].endswith(":1.1.0"), *ns, timeout=120
        )
        # No waiting for the promoted canary's series to age out: the analysis selects the
        # new canary's revision, so the healthy 1.1.0 samples cannot pass 1.2.0.
        spec["image"]["tag"] = "1.2.0"
        spec["env"] = [{"name": "FAULT_ERROR_RATE", "value": "0.5"}]
        kubectl.apply(fsvc(spec), *ns)
        rolled_back = kubectl.wait_for(
            obj, lambda o: _status(o).get("phase") == "Failed", *ns, timeout=120
        )
        assert _conds(rolled_back)["Stalled"] == "True"
        states.record("rolled-back", rolled_back)

    # The CRD refuses every spec it knows the chart cannot render (test_spec_fuzz.py); a
    # chart with one guard of its own stands in for a chart refusing what the CRD cannot
    # know, so the operator stalls with RenderFailed.
    operator.stop()
    operator.extra_env["FLASKOPS_CHART"] = str(guarded_chart(tmp_path / "guarded"))
    operator.start()
    spec["image"]["tag"] = "1.0.0"
    del spec["env"]
    spec["replicaCount"] = 7
    kubectl.apply(fsvc(spec), *ns)
    states.record(
        "render-failed",
        kubectl.wait_for(
            obj,
            lambda o: (
                _status(o).get("observedGeneration") == o["metadata"]["generation"]
                and any(c["reason"] == "RenderFailed" for c in _status(o).get("conditions") or [])
            ),
            *ns,
            timeout=30,
        ),
    )

    # Being deleted: the operator puts no finalizer on a FlaskService (deletes never wait
    # for it), so a finalizer of someone else's (Argo CD's resources-finalizer, a backup
    # tool's) is what a GitOps tool sees holding one. Removed, the object goes at once.
    hold = "test.flaskops.io/hold"
    kubectl.run(
        "patch", obj, *ns, "--type=merge", "-p", json.dumps({"metadata": {"finalizers": [hold]}})
    )
    kubectl.run("delete", obj, *ns, "--wait=false")
    states.record(
        "deleting", kubectl.wait_for(obj, lambda o: "deletionTimestamp" in o["metadata"], *ns)
    )
    kubectl.run(
        "patch", obj, *ns, "--type=json", "-p", '[{"op": "remove", "path": "/metadata/finalizers"}]'
    )
    kubectl.run("wait", "--for=delete", obj, *ns, "--timeout=30s")

    states.check()
