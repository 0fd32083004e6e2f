"""Blue/green end to end: real operator, helm, Prometheus and gunicorn stand-ins, vegeta load.

A steady vegeta load runs against the active Service (through its kube-proxy stand-in) the
whole time, and the operator's pre-promotion requests go to the preview Service's stand-in.
  1. a good release: analysed on the preview, switched in one step, promoted; zero failed
     requests, and the versions that answered never interleave;
  2. a bad release (50 % errors): torn down, the active Service never selected it;
  3. an abort during scaleDownDelay: the Service switches straight back to the old pods.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.operator.cluster.test_canary_modes import _events
from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.support.kube import Kubectl
from tests.support.load import SteadyLoad
from tests.support.operator import OperatorProcess
from tests.support.prometheus import Prometheus
from tests.support.service_proxy import ServiceProxy
from tests.support.standins import StandIns

REPO = "registry.example/catalog"


def blue_green_spec(
    prometheus: Prometheus, preview_url: str, tag: str, delay: str = "8s"
) -> dict[str, Any]:
    return {
        "image": {"repository": REPO, "tag": tag},
        "replicaCount": 2,
        "httpRoute": {
            "enabled": True,
            "parentRefs": [{"name": "gateway"}],
            "hostnames": ["catalog.example"],
        },
        "rollout": {
            "strategy": "blueGreen",
            "blueGreen": {
                "interval": "5s",
                "analyses": 2,
                "scaleDownDelay": delay,
                "prePromotion": {
                    "url": preview_url,
                    "requests": [{"path": "/items/1", "count": 10}],
                },
            },
            "analysis": {
                "prometheus": {"url": prometheus.url},
                "window": "10s",
                "successRate": {"min": 95},
                "failureThreshold": 2,
                "inconclusiveLimit": 10,
            },
        },
    }


def phase_is(name: str) -> Any:
    def check(o: dict[str, Any]) -> bool:
        st = o.get("status") or {}
        return st.get("phase") == name and (name != "Ready" or ready(o))

    return check


def stable_template(kubectl: Kubectl, ns: str) -> tuple[str, str]:
    tpl = kubectl.json("get", f"deployment/{NAME}", "-n", ns)["spec"]["template"]
    return tpl["spec"]["containers"][0]["image"], tpl["metadata"]["annotations"][
        "flaskops.io/revision"
    ]


def test_blue_green_promotes_tears_down_and_switches_back_under_load(
    operator: OperatorProcess,
    kubectl: Kubectl,
    kubeconfig: Path,
    namespace: str,
    prometheus: Prometheus,
    third_party_crds: None,
    tmp_path: Path,
) -> None:
    standins = StandIns(kubectl, prometheus, namespace, NAME, log_dir=tmp_path, drain_s=3)
    preview_proxy = ServiceProxy(standins, kubeconfig, f"{NAME}-preview")
    spec = blue_green_spec(prometheus, preview_proxy.url, "1.0.0")
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase_is("Ready"), "-n", namespace, timeout=60)
    standins.start()
    active = ServiceProxy(standins, kubeconfig, NAME).start()
    load = SteadyLoad(f"{active.url}/items/1", tmp_path, rate=40)
    preview_started = False
    try:
        # -- 1. a good release ----------------------------------------------------------
        spec["image"]["tag"] = "1.1.0"
        kubectl.apply(fsvc(spec), "-n", namespace)
        kubectl.wait_for(f"service/{NAME}-preview", lambda o: True, "-n", namespace, timeout=30)
        preview_proxy.start()
        preview_started = True
        switched = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: (o.get("status") or {}).get("activeTrack") == "preview",
            "-n",
            namespace,
            timeout=120,
        )
        # Switched, and the old pods are still there, untouched, for the delay.
        assert stable_template(kubectl, namespace)[0] == f"{REPO}:1.0.0"
        checks = {c["name"]: c for c in switched["status"]["rollout"]["lastAnalysis"]["checks"]}
        assert checks["prePromotion"]["outcome"] == "pass"
        assert checks["successRate"]["outcome"] == "pass"
        done = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: phase_is("Ready")(o) and not o["status"].get("previewRevision"),
            "-n",
            namespace,
            timeout=120,
        )
        assert done["status"]["image"] == f"{REPO}:1.1.0"
        assert done["status"]["activeTrack"] == "stable"
        promoted = stable_template(kubectl, namespace)
        assert promoted[0] == f"{REPO}:1.1.0"
        # The route never changed: the switch is the Service's selector.
        route = kubectl.json("get", f"httproute/{NAME}", "-n", namespace)
        assert [r["name"] for r in route["spec"]["rules"][0]["backendRefs"]] == [NAME]
        time.sleep(2)  # requests in flight through the last switch finish
        assert active.versions_in_order() == ["1.0.0", "1.1.0"], "versions interleaved"
        assert active.selected == ["stable", "preview", "stable"]
        first = active.records[:]

        # -- 2. a bad release: same code, error knob at 50 % ------------------------------
        spec["image"]["tag"] = "1.2.0"
        spec["env"] = [{"name": "FAULT_ERROR_RATE", "value": "0.5"}]
        kubectl.apply(fsvc(spec), "-n", namespace)
        failed = kubectl.wait_for(
            f"flaskservice/{NAME}", phase_is("Failed"), "-n", namespace, timeout=120
        )
        checks = {c["name"]: c for c in failed["status"]["rollout"]["lastAnalysis"]["checks"]}
        assert checks["prePromotion"]["outcome"] == "fail"
        assert failed["status"]["image"] == f"{REPO}:1.1.0"
        assert stable_template(kubectl, namespace) == promoted  # active track untouched
        kubectl.wait_for(
            "deployments",
            lambda o: [d["metadata"]["name"] for d in o["items"]] == [NAME],
            "-n",
            namespace,
            "-l",
            f"flaskops.io/flaskservice={NAME}",
        )
        assert active.selected == ["stable", "preview", "stable"]  # never the bad preview
        bad_answers = [r for r in active.records[len(first) :] if r.version == "1.2.0"]
        assert bad_answers == [], "the active Service sent users to the bad preview"
        teardown = [e for e in _events(kubectl, namespace) if e["reason"] == "RolledBack"]
        assert teardown
        assert teardown[-1]["type"] == "Warning"
        assert "never left" in teardown[-1]["message"]

        # -- 3. abort during scaleDownDelay --------------------------------------------------
        spec["image"]["tag"] = "1.3.0"
        spec["env"] = []
        spec["rollout"]["blueGreen"]["scaleDownDelay"] = "10m"
        kubectl.apply(fsvc(spec), "-n", namespace)
        kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: (o.get("status") or {}).get("activeTrack") == "preview",
            "-n",
            namespace,
            timeout=120,
        )
        assert stable_template(kubectl, namespace) == promoted
        aborted_at = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "flaskops.cli", "abort", NAME, "-n", namespace],
            env={"KUBECONFIG": str(kubeconfig), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.startswith("abort requested for revision ")
        back = kubectl.wait_for(
            f"flaskservice/{NAME}", phase_is("Failed"), "-n", namespace, timeout=30
        )
        while active.selected[-1] != "stable" and time.monotonic() - aborted_at < 30:
            time.sleep(0.1)
        switch_back_s = time.monotonic() - aborted_at
        assert back["status"]["activeTrack"] == "stable"
        assert stable_template(kubectl, namespace) == promoted  # nothing had to roll
        assert "switched back" in back["status"]["message"]
        time.sleep(2)
        print(f"\nabort -> active Service back on the old pods in {switch_back_s:.1f}s")
        assert active.versions_in_order() == ["1.0.0", "1.1.0", "1.3.0", "1.1.0"]
    finally:
        report = load.stop()
        active.stop()
        if preview_started:
            preview_proxy.stop()
        standins.stop()
    print(f"vegeta: {report.requests} requests, status codes {report.status_codes}")
    assert report.requests > 1000
    assert report.failed == 0, (report.status_codes, report.errors[:5])
    assert {r.status for r in active.records} == {200}
