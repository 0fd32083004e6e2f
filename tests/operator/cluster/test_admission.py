"""Bad FlaskService specs are refused by the API server with a message naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.kube import CommandError, Kubectl

VALID: dict[str, Any] = {
    "image": {"repository": "registry.example/orders", "tag": "1.4.2"},
    "autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 10},
    "rollout": {
        "strategy": "canary",
        "canary": {"steps": [10, 25, 50], "interval": "30s", "traffic": "replicas"},
        "analysis": {
            "prometheus": {"url": "http://prometheus.monitoring:9090"},
            "successRate": {"min": 99},
            "latencyP99": {"maxMs": 500},
            "failureThreshold": 2,
        },
    },
}


def spec_with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with the dotted `path` set to `value`."""
    spec = copy.deepcopy(base)
    node = spec
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return spec


def _with(path: str, value: Any) -> dict[str, Any]:
    return spec_with(VALID, path, value)


# (case id, spec, text the apiserver's message must contain: the field path and the why)
INVALID = [
    ("unknown-top-level", _with("imgae", {"tag": "1"}), 'unknown field "spec.imgae"'),
    ("unknown-nested", _with("rollout.canary.stepz", [1]), 'unknown field "spec.rollout.canary.stepz"'),
    ("steps-descending", _with("rollout.canary.steps", [50, 25]), "spec.rollout.canary.steps: Invalid value"),
    ("steps-duplicate", _with("rollout.canary.steps", [10, 10, 50]), "steps must be strictly ascending"),
    ("step-over-100", _with("rollout.canary.steps", [10, 101]), "spec.rollout.canary.steps[1]"),
    ("step-zero", _with("rollout.canary.steps", [0, 50]), "spec.rollout.canary.steps[0]"),
    ("steps-empty", _with("rollout.canary.steps", []), "spec.rollout.canary.steps"),
    ("interval-too-short", _with("rollout.canary.interval", "2s"), "spec.rollout.canary.interval: Invalid value: \"2s\": interval must be at least 5s"),
    ("interval-garbage", _with("rollout.canary.interval", "soon"), "spec.rollout.canary.interval"),
    ("traffic-unknown", _with("rollout.canary.traffic", "istio"), 'spec.rollout.canary.traffic: Unsupported value: "istio"'),
    ("strategy-unknown", _with("rollout.strategy", "bluegreen"), 'spec.rollout.strategy: Unsupported value: "bluegreen"'),
    ("canary-without-prometheus", _with("rollout.analysis", {"successRate": {"min": 99}}), "spec.rollout.analysis: Invalid value: strategy canary needs analysis.prometheus.url"),
    ("prometheus-url-not-http", _with("rollout.analysis.prometheus.url", "prometheus:9090"), "spec.rollout.analysis.prometheus.url"),
    ("success-rate-over-100", _with("rollout.analysis.successRate.min", 120), "spec.rollout.analysis.successRate.min"),
    ("abort-below-above-min", _with("rollout.analysis.successRate", {"min": 99, "abortBelow": 99.5}), "spec.rollout.analysis.successRate.abortBelow: Invalid value: abortBelow must be less than or equal to min"),
    ("latency-zero", _with("rollout.analysis.latencyP99.maxMs", 0), "spec.rollout.analysis.latencyP99.maxMs"),
    ("abort-above-below-max", _with("rollout.analysis.latencyP99", {"maxMs": 500, "abortAboveMs": 100}), "spec.rollout.analysis.latencyP99.abortAboveMs"),
    ("check-without-bounds", _with("rollout.analysis.checks", [{"name": "x", "query": "up"}]), "spec.rollout.analysis.checks[0].min: Invalid value: a check needs min or max"),
    ("check-min-over-max", _with("rollout.analysis.checks", [{"name": "x", "query": "up", "min": 5, "max": 1}]), "min must be less than or equal to max"),
    ("failure-threshold-zero", _with("rollout.analysis.failureThreshold", 0), "spec.rollout.analysis.failureThreshold"),
    ("min-over-max-replicas", _with("autoscaling", {"enabled": True, "minReplicas": 5, "maxReplicas": 2}), "spec.autoscaling.minReplicas: Invalid value: minReplicas must be less than or equal to maxReplicas"),
    ("gateway-mode-without-route", _with("rollout.canary.traffic", "gatewayAPI"), "spec.rollout.canary.traffic: Invalid value: rollout.canary.traffic gatewayAPI needs httpRoute.enabled"),
    ("nginx-mode-without-ingress", _with("rollout.canary.traffic", "nginx"), "spec.rollout.canary.traffic: Invalid value: rollout.canary.traffic nginx needs ingress.enabled"),
    ("replicas-wrong-type", _with("replicaCount", "three"), "spec.replicaCount"),
    ("canary-values-are-the-operators", _with("canary", {"enabled": True}), 'unknown field "spec.canary"'),
    ("no-image", {"replicaCount": 1}, 'spec.image: Required value'),
    ("image-without-repository", _with("image", {"tag": "1.0"}), 'spec.image.repository: Required value'),
    ("image-without-tag-or-digest", _with("image", {"repository": "registry.example/orders"}), "spec.image.tag: Invalid value: image.tag or image.digest is required"),
    ("secret-data-not-in-spec", _with("secret", {"data": {"PASSWORD": "x"}}), 'unknown field "spec.secret.data"'),
]  # fmt: skip


def _manifest(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "flaskops.io/v1alpha1",
        "kind": "FlaskService",
        "metadata": {"name": name},
        "spec": spec,
    }


@pytest.mark.parametrize(("case", "spec", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_spec_is_rejected_naming_the_field(
    kubectl: Kubectl, flaskservice_crd: str, case: str, spec: dict[str, Any], expected: str
) -> None:
    assert_rejected(kubectl, case, spec, expected)


def test_the_issue_example_is_accepted(kubectl: Kubectl, flaskservice_crd: str) -> None:
    assert_accepted(kubectl, VALID)


def assert_rejected(kubectl: Kubectl, name: str, spec: dict[str, Any], expected: str) -> None:
    """A server-side dry run refuses the FlaskService with `expected` in its message."""
    with pytest.raises(CommandError) as rejected:
        kubectl.apply(_manifest(name, spec), "-n", "default", "--dry-run=server")
    assert expected in rejected.value.stderr


def assert_accepted(kubectl: Kubectl, spec: dict[str, Any]) -> None:
    out = kubectl.apply(_manifest("orders", spec), "-n", "default", "--dry-run=server")
    assert "created (server dry run)" in out.stdout


def test_table_is_big_enough() -> None:
    assert len(INVALID) >= 15
