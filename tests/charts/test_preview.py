"""Blue/green by hand: the preview track and Service, and the switch of the main Service.

Each test renders the real chart with the values a person would pass to `helm upgrade`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts.chart import FULLNAME, container, env_map, render, render_error

PREVIEW = f"{FULLNAME}-preview"


def preview_values(active: bool = False, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "replicaCount": 3,
        "image": {"tag": "1.0.0"},
        "preview": {"enabled": True, "image": {"tag": "2.0.0"}, "active": active},
        "httpRoute": {"enabled": True},
    }
    values.update(extra)
    return values


def selector(m: Any, name: str) -> dict[str, str]:
    return dict(m.get("Service", name)["spec"]["selector"])


def test_without_a_preview_the_main_service_selects_stable_only() -> None:
    m = render({"image": {"tag": "1.0.0"}})
    # So that tearing a preview down moves no traffic to its pods while they terminate.
    assert selector(m, FULLNAME)["flaskops.io/track"] == "stable"
    assert PREVIEW not in m.names("Service")
    assert PREVIEW not in m.names("Deployment")


def test_preview_is_a_full_size_track_with_its_own_service() -> None:
    m = render(preview_values())
    stable, preview = m.get("Deployment", FULLNAME), m.get("Deployment", PREVIEW)
    assert stable["spec"]["replicas"] == preview["spec"]["replicas"] == 3
    assert container(stable)["image"].endswith(":1.0.0")
    assert container(preview)["image"].endswith(":2.0.0")
    assert preview["spec"]["selector"]["matchLabels"]["flaskops.io/track"] == "preview"
    assert selector(m, PREVIEW)["flaskops.io/track"] == "preview"
    # Before the switch the main Service selects the stable pods only, not both tracks.
    assert selector(m, FULLNAME)["flaskops.io/track"] == "stable"
    assert "flaskops.track=preview" in env_map(preview)["OTEL_RESOURCE_ATTRIBUTES"]


def test_the_switch_is_one_selector_change_of_the_main_service() -> None:
    before, after = render(preview_values()), render(preview_values(active=True))
    assert selector(after, FULLNAME)["flaskops.io/track"] == "preview"
    # Nothing else moves: both Deployments, the preview Service and the route are unchanged,
    # so switching back is the same one change while the old pods still run.
    for kind, name in (
        ("Deployment", FULLNAME),
        ("Deployment", PREVIEW),
        ("Service", PREVIEW),
        ("HTTPRoute", FULLNAME),
    ):
        assert before.get(kind, name) == after.get(kind, name), (kind, name)
    route = after.get("HTTPRoute", FULLNAME)
    refs = [r["name"] for rule in route["spec"]["rules"] for r in rule["backendRefs"]]
    assert refs == [FULLNAME]  # the route follows the main Service's switch


def test_preview_size_follows_the_hpa_minimum_or_an_explicit_count() -> None:
    hpa = {"enabled": True, "minReplicas": 4, "maxReplicas": 10}
    m = render(preview_values(autoscaling=hpa))
    assert m.get("Deployment", PREVIEW)["spec"]["replicas"] == 4
    assert "replicas" not in m.get("Deployment", FULLNAME)["spec"]  # the HPA owns stable
    values = preview_values()
    values["preview"]["replicaCount"] = 7
    assert render(values).get("Deployment", PREVIEW)["spec"]["replicas"] == 7


def test_preview_env_config_and_annotations_are_its_own() -> None:
    values = preview_values(
        env=[{"name": "MODE", "value": "old"}, {"name": "KEEP", "value": "1"}],
        config={"data": {"LEVEL": "info", "OTHER": "x"}},
    )
    values["preview"].update(
        env=[{"name": "MODE", "value": "new"}],
        config={"LEVEL": "debug"},
        podAnnotations={"flaskops.io/revision": "abc"},
    )
    m = render(values)
    preview = m.get("Deployment", PREVIEW)
    env = env_map(preview)
    assert env["MODE"] == "new"
    assert env["KEEP"] == "1"
    assert env_map(m.get("Deployment", FULLNAME))["MODE"] == "old"
    assert m.get("ConfigMap", PREVIEW)["data"] == {"LEVEL": "debug", "OTHER": "x"}
    assert m.get("ConfigMap", FULLNAME)["data"] == {"LEVEL": "info", "OTHER": "x"}
    annotations = preview["spec"]["template"]["metadata"]["annotations"]
    assert annotations["flaskops.io/revision"] == "abc"
    stable_annotations = m.get("Deployment", FULLNAME)["spec"]["template"]["metadata"]
    assert "flaskops.io/revision" not in (stable_annotations.get("annotations") or {})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"preview": {"active": True}},
            "preview.active=true needs preview.enabled=true",
        ),
        (
            {"preview": {"enabled": True}},
            "preview.image.tag or preview.image.digest is required when preview.enabled is true",
        ),
        (
            {
                "preview": {"enabled": True, "image": {"tag": "2"}},
                "canary": {"enabled": True, "image": {"tag": "3"}},
            },
            "canary.enabled and preview.enabled are exclusive",
        ),
        ({"preview": {"enabled": True, "colour": "green"}}, "colour"),
    ],
)
def test_bad_preview_values_name_the_value_to_fix(values: dict[str, Any], message: str) -> None:
    assert message in render_error(values)
