"""Canary with each traffic mode: the steps advance in status and the rendered objects carry
the weight (replicas: the pod split; gatewayAPI: HTTPRoute weights; nginx: the annotation).

Real gunicorn stand-ins serve both tracks and a real Prometheus scrapes them, so every step
is earned by a passing analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.support.kube import Kubectl
from tests.support.operator import OperatorProcess
from tests.support.prometheus import Prometheus
from tests.support.standins import serving

STEPS = [20, 50]


def canary_spec(prometheus: Prometheus, traffic: str, tag: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "image": {"repository": "registry.example/catalog", "tag": tag},
        "replicaCount": 4,
        "rollout": {
            "strategy": "canary",
            "canary": {"steps": STEPS, "interval": "5s", "traffic": traffic},
            "analysis": {
                "prometheus": {"url": prometheus.url},
                "window": "10s",
                "successRate": {"min": 95},
                "latencyP99": {"maxMs": 1000},
                "failureThreshold": 2,
                "inconclusiveLimit": 10,
            },
        },
    }
    if traffic == "gatewayAPI":
        spec["httpRoute"] = {
            "enabled": True,
            "parentRefs": [{"name": "gateway"}],
            "hostnames": ["catalog.example"],
        }
    if traffic == "nginx":
        spec["ingress"] = {
            "enabled": True,
            "className": "nginx",
            "hosts": [{"host": "catalog.example", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        }
    return spec


def _replicas_weight(kubectl: Kubectl, ns: str) -> int:
    stable = kubectl.json("get", f"deployment/{NAME}", "-n", ns)
    canary = kubectl.json("get", f"deployment/{NAME}-canary", "-n", ns)
    s, c = stable["spec"]["replicas"], canary["spec"]["replicas"]
    return round(100 * c / (s + c))


def _route_weight(kubectl: Kubectl, ns: str) -> int:
    route = kubectl.json("get", f"httproute/{NAME}", "-n", ns)
    refs = {r["name"]: r["weight"] for rule in route["spec"]["rules"] for r in rule["backendRefs"]}
    return int(refs[f"{NAME}-canary"])


def _nginx_weight(kubectl: Kubectl, ns: str) -> int:
    ing = kubectl.json("get", f"ingress/{NAME}-canary", "-n", ns)
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"] == "true"
    return int(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"])


RENDERED_WEIGHT: dict[str, Callable[[Kubectl, str], int]] = {
    "replicas": _replicas_weight,
    "gatewayAPI": _route_weight,
    "nginx": _nginx_weight,
}


@pytest.mark.parametrize("traffic", ["replicas", "gatewayAPI", "nginx"])
def test_canary_steps_advance_and_objects_match_the_weight(
    traffic: str,
    operator: OperatorProcess,
    kubectl: Kubectl,
    namespace: str,
    prometheus: Prometheus,
    third_party_crds: None,
    tmp_path: Path,
) -> None:
    kubectl.apply(fsvc(canary_spec(prometheus, traffic, "1.0.0")), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)
    with serving(kubectl, prometheus, namespace, NAME, tmp_path, mode=traffic):
        kubectl.apply(fsvc(canary_spec(prometheus, traffic, "1.1.0")), "-n", namespace)
        seen: list[int] = []
        for weight in STEPS:
            obj = kubectl.wait_for(
                f"flaskservice/{NAME}",
                lambda o, w=weight: (o.get("status") or {}).get("weight") == w,
                "-n",
                namespace,
                timeout=60,
            )
            assert obj["status"]["phase"] in ("Progressing", "Promoting")
            assert obj["status"]["canaryRevision"]["image"] == "registry.example/catalog:1.1.0"
            rendered = RENDERED_WEIGHT[traffic](kubectl, namespace)
            if traffic == "replicas":
                # Whole pods: the split is as close as pods allow, and status says what it is.
                assert abs(rendered - weight) <= 100 / 4
                kubectl.wait_for(
                    f"flaskservice/{NAME}",
                    lambda o, r=rendered: (o.get("status") or {}).get("effectiveWeight") == r,
                    "-n",
                    namespace,
                )
            else:
                # The route gives the canary its weight once its pods are ready (a router
                # would answer its share with 503s before): wait for that, then exactly w.
                kubectl.wait_for(
                    f"flaskservice/{NAME}",
                    lambda o, w=weight: RENDERED_WEIGHT[traffic](kubectl, namespace) == w,
                    "-n",
                    namespace,
                    timeout=30,
                )
            seen.append(weight)
        assert seen == STEPS
        final = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: (o.get("status") or {}).get("phase") == "Ready" and ready(o),
            "-n",
            namespace,
            timeout=90,
        )
        assert final["status"]["image"] == "registry.example/catalog:1.1.0"
        assert (
            kubectl.run("get", f"deployment/{NAME}-canary", "-n", namespace, check=False).returncode
            != 0
        )
        reasons = [e["reason"] for e in _events(kubectl, namespace)]
        assert reasons.count("Promoted") == 1
        assert "CanaryStarted" in reasons
        exported = operator.metrics()
        assert (
            f'flaskops_rollouts_total{{name="{NAME}",namespace="{namespace}",outcome="promoted"}} 1.0'
            in exported
        )
        assert (
            f'flaskops_analysis_results_total{{check="successRate",name="{NAME}",namespace="{namespace}",outcome="pass"}}'
            in exported
        )


def _events(kubectl: Kubectl, namespace: str) -> list[dict[str, Any]]:
    items = kubectl.json(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={NAME}"
    )["items"]
    return sorted(items, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
