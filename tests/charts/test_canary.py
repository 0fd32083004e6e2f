"""Canary tracks: every traffic mode, the required weights with and without the HPA, the math."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tests.charts.canary_math import percent_text, plan
from tests.charts.chart import FULLNAME, Manifest, container, env_map, render, render_error

CANARY = f"{FULLNAME}-canary"
WEIGHTS = (0, 1, 33, 50, 99, 100)
MODES = ("replicas", "gatewayAPI", "nginx")


def canary_values(traffic: str, weight: int, *, hpa: bool = False, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "replicaCount": 3,
        "canary": {
            "enabled": True,
            "image": {"tag": "2.0.0"},
            "weight": weight,
            "traffic": traffic,
        },
        "autoscaling": {"enabled": hpa, "minReplicas": 2, "maxReplicas": 10},
        "ingress": {"enabled": traffic == "nginx", "className": "nginx"},
        "httpRoute": {"enabled": traffic == "gatewayAPI"},
    }
    values.update(extra)
    return values


def replicas(m: Manifest, name: str) -> int | None:
    return m.get("Deployment", name)["spec"].get("replicas")


@pytest.mark.parametrize("hpa", [False, True], ids=["fixed", "hpa"])
@pytest.mark.parametrize("weight", WEIGHTS)
@pytest.mark.parametrize("traffic", MODES)
def test_split(traffic: str, weight: int, hpa: bool) -> None:
    m = render(canary_values(traffic, weight, hpa=hpa))
    want = plan(replica_count=3, weight=weight, traffic=traffic, hpa=hpa)

    assert replicas(m, FULLNAME) == want.stable
    assert replicas(m, CANARY) == want.canary
    for name in (FULLNAME, CANARY):
        ann = m.get("Deployment", name)["metadata"]["annotations"]
        assert ann["flaskops.io/weight"] == str(weight)
        assert ann["flaskops.io/traffic"] == traffic
        assert ann["flaskops.io/effective-weight"] == percent_text(want.effective)

    # The HPA, when on, scales the stable track only.
    if hpa:
        target = m.get("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
        assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": FULLNAME}
    else:
        assert not m.all("HorizontalPodAutoscaler")

    canary_pods = m.get("Deployment", CANARY)["spec"]["template"]["metadata"]["labels"]
    assert canary_pods["flaskops.io/track"] == "canary"
    assert canary_pods["flaskops.io/service"] == FULLNAME
    _assert_routing(m, traffic, weight)


def _assert_routing(m: Manifest, traffic: str, weight: int) -> None:
    if traffic == "replicas":
        assert m.names("Service") == {FULLNAME}
        assert "flaskops.io/track" not in m.get("Service")["spec"]["selector"]
        return
    assert m.names("Service") == {FULLNAME, CANARY}
    assert m.get("Service")["spec"]["selector"]["flaskops.io/track"] == "stable"
    assert m.get("Service", CANARY)["spec"]["selector"]["flaskops.io/track"] == "canary"
    if traffic == "gatewayAPI":
        refs = m.get("HTTPRoute")["spec"]["rules"][0]["backendRefs"]
        assert [(r["name"], r["weight"]) for r in refs] == [
            (FULLNAME, 100 - weight),
            (CANARY, weight),
        ]
        assert m.names("Ingress") == set()
    else:
        ann = m.get("Ingress", CANARY)["metadata"]["annotations"]
        assert ann["nginx.ingress.kubernetes.io/canary"] == "true"
        assert ann["nginx.ingress.kubernetes.io/canary-weight"] == str(weight)
        backend = m.get("Ingress", CANARY)["spec"]["rules"][0]["http"]["paths"][0]["backend"]
        assert backend["service"]["name"] == CANARY
        stable_backend = m.get("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
        assert stable_backend["service"]["name"] == FULLNAME
        assert "nginx.ingress.kubernetes.io/canary" not in m.get("Ingress")["metadata"].get(
            "annotations", {}
        )


@pytest.mark.parametrize("total", [1, 2, 4, 7, 10])
@pytest.mark.parametrize("weight", WEIGHTS)
def test_replicas_mode_is_as_close_as_whole_pods_allow(total: int, weight: int) -> None:
    """No other whole-pod split of the same total comes closer to the requested weight."""
    m = render(canary_values("replicas", weight, replicaCount=total))
    canary, stable = replicas(m, CANARY), replicas(m, FULLNAME)
    assert canary is not None
    assert stable is not None
    assert canary + stable == total
    best = min(abs(Fraction(100 * k, total) - weight) for k in range(total + 1))
    assert abs(Fraction(100 * canary, total) - weight) == best
    achieved = m.get("Deployment", CANARY)["metadata"]["annotations"][
        "flaskops.io/effective-weight"
    ]
    assert achieved == percent_text(Fraction(100 * canary, total))


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (Fraction(100, 3), "33.33"),
        (Fraction(200, 3), "66.67"),
        (Fraction(25, 2), "12.5"),
        (Fraction(50), "50"),
    ],
)
def test_percent_text(fraction: Fraction, text: str) -> None:
    assert percent_text(fraction) == text


def test_hpa_basis_is_stated() -> None:
    m = render(canary_values("replicas", 50, hpa=True))
    basis = m.get("Deployment", CANARY)["metadata"]["annotations"][
        "flaskops.io/effective-weight-basis"
    ]
    assert basis == "2 canary pods next to autoscaling.minReplicas=2 stable pods"


def test_routed_canary_replica_count_override() -> None:
    m = render(
        canary_values(
            "gatewayAPI",
            10,
            canary={
                "enabled": True,
                "image": {"tag": "2"},
                "weight": 10,
                "traffic": "gatewayAPI",
                "replicaCount": 4,
            },
        )
    )
    assert replicas(m, CANARY) == 4


def test_canary_image_env_and_config_overrides() -> None:
    values = canary_values(
        "replicas",
        50,
        env=[{"name": "FEATURE", "value": "old"}, {"name": "KEEP", "value": "1"}],
        config={"data": {"MODE": "stable", "OTHER": "x"}},
    )
    values["canary"] |= {"env": [{"name": "FEATURE", "value": "new"}], "config": {"MODE": "canary"}}
    m = render(values)
    stable, canary = m.get("Deployment"), m.get("Deployment", CANARY)
    assert container(stable)["image"] == "ghcr.io/flaskops/flask-app:0.1.0"
    assert container(canary)["image"] == "ghcr.io/flaskops/flask-app:2.0.0"
    assert env_map(stable)["FEATURE"] == "old"
    assert env_map(canary)["FEATURE"] == "new"
    assert env_map(canary)["KEEP"] == "1"
    assert env_map(canary)["FLASKOPS_TRACK"] == "canary"
    assert env_map(canary)["OTEL_SERVICE_NAME"] == FULLNAME  # one service, two tracks
    attrs = env_map(canary)["OTEL_RESOURCE_ATTRIBUTES"]
    assert f"k8s.deployment.name={CANARY}" in attrs
    assert "service.version=2.0.0" in attrs
    assert m.get("ConfigMap")["data"] == {"MODE": "stable", "OTHER": "x"}
    assert m.get("ConfigMap", CANARY)["data"] == {"MODE": "canary", "OTHER": "x"}
    assert container(canary)["envFrom"] == [{"configMapRef": {"name": CANARY}}]
    checksum = "checksum/config"
    s_ann = stable["spec"]["template"]["metadata"]["annotations"]
    c_ann = canary["spec"]["template"]["metadata"]["annotations"]
    assert s_ann[checksum] != c_ann[checksum]


def test_canary_selectors_do_not_overlap() -> None:
    m = render(canary_values("replicas", 50))
    stable = m.get("Deployment")["spec"]["selector"]["matchLabels"]
    canary = m.get("Deployment", CANARY)["spec"]["selector"]["matchLabels"]
    assert stable["flaskops.io/track"] == "stable"
    assert canary["flaskops.io/track"] == "canary"


def test_canary_disabled_renders_no_canary() -> None:
    m = render({"canary": {"enabled": False, "weight": 50}})
    assert m.names("Deployment") == {FULLNAME}
    assert "annotations" not in m.get("Deployment")["metadata"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"canary": {"enabled": True, "weight": 5}},
            "canary.image.tag or canary.image.digest is required",
        ),
        (
            {"canary": {"enabled": True, "image": {"tag": "2"}, "traffic": "gatewayAPI"}},
            "canary.traffic=gatewayAPI needs httpRoute.enabled=true",
        ),
        (
            {"canary": {"enabled": True, "image": {"tag": "2"}, "traffic": "nginx"}},
            "canary.traffic=nginx needs ingress.enabled=true",
        ),
    ],
)
def test_impossible_canary_settings_fail(values: dict[str, Any], message: str) -> None:
    assert message in render_error(values)
