"""End to end: real Prometheus scraping real gunicorn processes of the reference catalog.

A healthy version is promoted; a version with a 50% error rate is rolled back (phase
Failed, a Warning event, the stable track untouched) and the time from its first traffic to
the rollback is measured and printed. A ConfigMap content change starts a canary. An
operator killed with SIGKILL mid-rollout finishes it after a restart.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from tests.operator.cluster.test_canary_modes import _events, canary_spec
from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.operator.conftest import OperatorFactory
from tests.support.kube import Kubectl
from tests.support.operator import SERVICE_CHART, OperatorProcess
from tests.support.prometheus import Prometheus
from tests.support.standins import serving


def phase(name: str) -> Any:
    return lambda o: (
        (o.get("status") or {}).get("phase") == name and ready(o)
        if name == "Ready"
        else ((o.get("status") or {}).get("phase") == name)
    )


def stable_template(kubectl: Kubectl, ns: str) -> tuple[str, str]:
    d = kubectl.json("get", f"deployment/{NAME}", "-n", ns)
    tpl = d["spec"]["template"]
    return tpl["spec"]["containers"][0]["image"], tpl["metadata"]["annotations"][
        "flaskops.io/revision"
    ]


def test_good_release_is_promoted_and_bad_release_rolled_back(
    operator: OperatorProcess,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    spec = canary_spec(prometheus, "replicas", "1.0.0")
    spec["rollout"]["analysis"]["successRate"]["abortBelow"] = 80
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    with serving(kubectl, prometheus, namespace, NAME, tmp_path) as load:
        # A healthy release goes through every step and is promoted.
        spec["image"]["tag"] = "1.1.0"
        kubectl.apply(fsvc(spec), "-n", namespace)
        kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: (o.get("status") or {}).get("canaryRevision"),
            "-n",
            namespace,
        )
        good = kubectl.wait_for(
            f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=120
        )
        assert good["status"]["image"] == "registry.example/catalog:1.1.0"
        checks = {c["name"]: c for c in good["status"]["rollout"]["lastAnalysis"]["checks"]}
        assert checks["successRate"]["outcome"] == "pass"
        assert checks["successRate"]["value"] >= 95
        promoted_image, promoted_rev = stable_template(kubectl, namespace)
        assert promoted_image == "registry.example/catalog:1.1.0"

        # A bad release: same code, error knob at 50%.
        spec["image"]["tag"] = "1.2.0"
        spec["env"] = [{"name": "FAULT_ERROR_RATE", "value": "0.5"}]
        kubectl.apply(fsvc(spec), "-n", namespace)
        failed = kubectl.wait_for(
            f"flaskservice/{NAME}", phase("Failed"), "-n", namespace, timeout=120
        )
        rolled_back_seen = time.time()
        first_bad = load.first_seen[("canary", "1.2.0")]
        bad_requests = sum(
            n for (t, v, _), n in load.counts.items() if (t, v) == ("canary", "1.2.0")
        )
        bad_errors = sum(
            n for (t, v, s), n in load.counts.items() if (t, v) == ("canary", "1.2.0") and s >= 500
        )
        elapsed = rolled_back_seen - first_bad
        print(
            f"\nbad release: first traffic -> rolled back in {elapsed:.1f}s "
            f"({bad_requests} canary requests, {bad_errors} errors)"
        )
        assert bad_errors > 0, "the bad canary never served traffic"
        checks = {c["name"]: c for c in failed["status"]["rollout"]["lastAnalysis"]["checks"]}
        assert checks["successRate"]["outcome"] == "fail"
        # Below the abort bound: a severe breach rolls back on the first analysis. (Not exactly
        # 50: rate() over a window in which the error series is brand new under-extrapolates.)
        assert checks["successRate"]["value"] < 80
        assert checks["successRate"]["severe"] is True
        assert failed["status"]["image"] == "registry.example/catalog:1.1.0"
        conds = {c["type"]: c for c in failed["status"]["conditions"]}
        assert conds["Stalled"]["status"] == "True"
        # Stable untouched: same image and revision as promoted, and no canary left.
        assert stable_template(kubectl, namespace) == (promoted_image, promoted_rev)
        kubectl.wait_for(
            "deployments",
            lambda o: [d["metadata"]["name"] for d in o["items"]] == [NAME],
            "-n",
            namespace,
            "-l",
            f"flaskops.io/flaskservice={NAME}",
        )
        warnings = [
            e
            for e in _events(kubectl, namespace)
            if e["type"] == "Warning" and e["reason"] == "RolledBack"
        ]
        assert warnings, "no Warning event for the rollback"
        assert elapsed < 30, f"rollback took {elapsed:.1f}s"


def test_configmap_content_change_starts_a_canary(
    operator: OperatorProcess, kubectl: Kubectl, namespace: str, prometheus: Prometheus
) -> None:
    kubectl.run(
        "create", "configmap", "catalog-settings", "-n", namespace, "--from-literal=LOG_LEVEL=info"
    )
    spec = canary_spec(prometheus, "replicas", "1.0.0")
    spec["envFrom"] = [{"configMapRef": {"name": "catalog-settings"}}]
    kubectl.apply(fsvc(spec), "-n", namespace)
    first = kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    stable_before = first["status"]["stableRevision"]

    # Same spec, new content in the referenced ConfigMap: a new revision, so a canary.
    kubectl.run("create", "configmap", "catalog-settings", "-n", namespace, "--from-literal=LOG_LEVEL=debug",
                "--dry-run=client", "-o", "yaml")  # fmt: skip
    kubectl.run(
        "patch",
        "configmap",
        "catalog-settings",
        "-n",
        namespace,
        "-p",
        '{"data":{"LOG_LEVEL":"debug"}}',
    )
    started = kubectl.wait_for(
        f"flaskservice/{NAME}",
        lambda o: (o.get("status") or {}).get("canaryRevision"),
        "-n",
        namespace,
        timeout=30,
    )
    canary = started["status"]["canaryRevision"]
    assert canary["image"] == stable_before["image"]
    assert canary["configHash"] != stable_before["configHash"]
    assert "CanaryStarted" in [e["reason"] for e in _events(kubectl, namespace)]
    kubectl.wait_for(f"deployment/{NAME}-canary", lambda d: True, "-n", namespace)


def test_operator_killed_mid_rollout_finishes_it_after_restart(
    operator: OperatorProcess,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    tmp_path: Path,
) -> None:
    spec = canary_spec(prometheus, "replicas", "1.0.0")
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    with serving(kubectl, prometheus, namespace, NAME, tmp_path):
        spec["image"]["tag"] = "1.1.0"
        kubectl.apply(fsvc(spec), "-n", namespace)
        # Kill it once the first step has been taken and is being analysed.
        kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: (o.get("status") or {}).get("weight") == 20,
            "-n",
            namespace,
            timeout=60,
        )
        operator.kill()
        time.sleep(3)  # traffic and scrapes go on without the operator
        operator.start()
        done = kubectl.wait_for(
            f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=120
        )
        assert done["status"]["image"] == "registry.example/catalog:1.1.0"
        reasons = [e["reason"] for e in _events(kubectl, namespace)]
        promoted = sum(
            e.get("count", 1) for e in _events(kubectl, namespace) if e["reason"] == "Promoted"
        )
        assert promoted == 1, reasons
        # No orphans: exactly the stable Deployment, owned by the FlaskService.
        deploys = kubectl.json(
            "get", "deployments", "-n", namespace, "-l", f"flaskops.io/flaskservice={NAME}"
        )["items"]
        assert [d["metadata"]["name"] for d in deploys] == [NAME]
        assert deploys[0]["metadata"]["ownerReferences"][0]["uid"] == done["metadata"]["uid"]


def guarded_chart(tmp_path: Path) -> Path:
    """The flask-service chart plus one `fail` guard, standing in for a chart that refuses
    values the CRD cannot know about (the CRD rejects every such case it can: see
    test_spec_fuzz.py)."""
    chart = tmp_path / "flask-service"
    shutil.copytree(SERVICE_CHART, chart)
    (chart / "templates/zz-guard.yaml").write_text(
        '{{- if eq (int .Values.replicaCount) 7 }}{{ fail "replicaCount: 7 is refused by this '
        'chart" }}{{- end }}\n'
    )
    return chart


def test_spec_that_cannot_render_stalls_without_touching_children(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    operators.start(env={"FLASKOPS_CHART": str(guarded_chart(tmp_path))})
    spec: dict[str, Any] = {"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}}
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    before = kubectl.json("get", f"deployment/{NAME}", "-n", namespace)["metadata"][
        "resourceVersion"
    ]

    # Admission cannot know this: only the chart refuses it.
    spec["replicaCount"] = 7
    kubectl.apply(fsvc(spec), "-n", namespace)

    def stalled(o: dict[str, Any]) -> bool:
        conds = {c["type"]: c for c in (o.get("status") or {}).get("conditions") or []}
        return (
            conds.get("Stalled", {}).get("status") == "True"
            and o["status"].get("observedGeneration") == o["metadata"]["generation"]
        )

    obj = kubectl.wait_for(f"flaskservice/{NAME}", stalled, "-n", namespace, timeout=30)
    conds = {c["type"]: c for c in obj["status"]["conditions"]}
    assert "replicaCount: 7 is refused by this chart" in conds["Stalled"]["message"]
    assert conds["Stalled"]["reason"] == "RenderFailed"
    assert conds["Ready"]["status"] == "False"
    time.sleep(3)
    after = kubectl.json("get", f"deployment/{NAME}", "-n", namespace)["metadata"][
        "resourceVersion"
    ]
    assert after == before, "a failed render must not touch running children"

    # Fixing the spec clears the stall.
    del spec["replicaCount"]
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(
        f"flaskservice/{NAME}", lambda o: ready(o) and not stalled(o), "-n", namespace, timeout=30
    )
