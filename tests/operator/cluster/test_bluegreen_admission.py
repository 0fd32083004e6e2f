"""Bad blue/green specs are refused by the API server with a message naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.operator.cluster.test_admission import assert_accepted, assert_rejected, spec_with
from tests.support.kube import Kubectl

VALID: dict[str, Any] = {
    "image": {"repository": "registry.example/orders", "tag": "1.4.2"},
    "rollout": {
        "strategy": "blueGreen",
        "blueGreen": {
            "interval": "30s",
            "analyses": 3,
            "scaleDownDelay": "1m",
            "prePromotion": {"requests": [{"path": "/items/1", "count": 5}]},
        },
        "analysis": {"prometheus": {"url": "http://prometheus.monitoring:9090"}},
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    return spec_with(VALID, path, value)


INVALID = [
    ("without-prometheus", _with("rollout.analysis", {}), "spec.rollout.analysis: Invalid value: strategy blueGreen needs analysis.prometheus.url"),
    ("interval-too-short", _with("rollout.blueGreen.interval", "1s"), "interval must be at least 5s"),
    ("analyses-zero", _with("rollout.blueGreen.analyses", 0), "spec.rollout.blueGreen.analyses"),
    ("delay-garbage", _with("rollout.blueGreen.scaleDownDelay", "later"), "spec.rollout.blueGreen.scaleDownDelay"),
    ("unsafe-method", _with("rollout.blueGreen.prePromotion.requests", [{"path": "/x", "method": "POST"}]), 'spec.rollout.blueGreen.prePromotion.requests[0].method: Unsupported value: "POST"'),
    ("path-not-absolute", _with("rollout.blueGreen.prePromotion.requests", [{"path": "items"}]), "spec.rollout.blueGreen.prePromotion.requests[0].path"),
    ("too-many-per-analysis", _with("rollout.blueGreen.prePromotion.requests", [{"path": "/x", "count": 500}]), "spec.rollout.blueGreen.prePromotion.requests[0].count"),
    ("url-with-path", _with("rollout.blueGreen.prePromotion.url", "http://preview/items"), "spec.rollout.blueGreen.prePromotion.url"),
    ("preview-values-are-the-operators", _with("preview", {"enabled": True}), 'unknown field "spec.preview"'),
]  # fmt: skip


@pytest.mark.parametrize(("case", "spec", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_blue_green_spec_is_rejected_naming_the_field(
    kubectl: Kubectl, flaskservice_crd: str, case: str, spec: dict[str, Any], expected: str
) -> None:
    assert_rejected(kubectl, case, spec, expected)


def test_a_blue_green_spec_is_accepted(kubectl: Kubectl, flaskservice_crd: str) -> None:
    assert_accepted(kubectl, VALID)
