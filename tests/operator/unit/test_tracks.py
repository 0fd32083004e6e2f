"""Pure pieces around the state machine: revisions, per-track values, status patches, CLI text."""

from __future__ import annotations

from typing import Any

from flaskops.cli import bar, render_status
from flaskops.rollout import RenderPlan, Revision, Strategy
from flaskops.runtime import merge_patch
from flaskops.tracks import (
    REVISION_ANNOTATION,
    REVISION_LABEL,
    desired_revision,
    policy,
    referenced_objects,
    render_values,
    track_values,
)

SPEC = {
    "image": {"repository": "r/catalog", "tag": "1.0"},
    "env": [{"name": "A", "value": "1"}],
    "config": {"data": {"K": "v"}, "existingConfigMap": "shared"},
    "replicaCount": 3,
    "rollout": {"strategy": "canary", "canary": {"traffic": "gatewayAPI"}},
}


def test_revision_changes_with_image_env_config_and_referenced_content() -> None:
    base = desired_revision(SPEC, "d1")
    assert base == desired_revision(dict(SPEC), "d1")
    assert (
        desired_revision({**SPEC, "image": {"repository": "r/catalog", "tag": "1.1"}}, "d1") != base
    )
    assert desired_revision({**SPEC, "env": []}, "d1") != base
    assert (
        desired_revision({**SPEC, "config": {"data": {"K": "w"}}}, "d1").config_hash
        != base.config_hash
    )
    assert desired_revision(SPEC, "d2").config_hash != base.config_hash
    # Not part of a revision: scaling is not a release.
    assert desired_revision({**SPEC, "replicaCount": 9}, "d1") == base


def test_referenced_objects_are_found_everywhere_a_pod_reads_them() -> None:
    spec = {
        "config": {"existingConfigMap": "cm1"},
        "secret": {"existingSecret": "s1"},
        "envFrom": [{"configMapRef": {"name": "cm2"}}, {"secretRef": {"name": "s2"}}],
        "env": [
            {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cm3", "key": "x"}}},
            {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "y"}}},
        ],
    }
    assert referenced_objects(spec) == ({"cm1", "cm2", "cm3"}, {"s1", "s2", "s3"})


def test_stable_renders_its_remembered_revision_and_canary_the_new_one() -> None:
    old = desired_revision(SPEC, "d")
    new_spec = {
        **SPEC,
        "image": {"repository": "r/catalog", "tag": "2.0"},
        "env": [{"name": "A", "value": "2"}],
    }
    new = desired_revision(new_spec, "d")
    remembered = {old.id: track_values(SPEC), new.id: track_values(new_spec)}
    values = render_values(new_spec, RenderPlan(old, new, 25), "gatewayAPI", remembered)
    assert values["image"]["tag"] == "1.0"
    assert values["env"] == [{"name": "A", "value": "1"}]
    assert values["config"] == {"data": {"K": "v"}, "existingConfigMap": "shared"}
    assert values["podAnnotations"][REVISION_ANNOTATION] == old.id
    # The label the monitors relabel to `revision`: each track's series carry its revision.
    assert values["podLabels"][REVISION_LABEL] == old.id
    assert values["canary"] == {
        "enabled": True,
        "image": {"repository": "r/catalog", "tag": "2.0"},
        "weight": 25,
        "traffic": "gatewayAPI",
        "env": [{"name": "A", "value": "2"}],
        "config": {"K": "v"},
        "podAnnotations": {REVISION_ANNOTATION: new.id},
        "podLabels": {REVISION_LABEL: new.id},
    }
    assert "rollout" not in values
    alone = render_values(SPEC, RenderPlan(old, None, 0), "replicas", remembered)
    assert alone["canary"] == {"enabled": False}


def test_no_rollout_section_means_rolling_updates() -> None:
    assert policy({"image": {"tag": "1"}}).strategy is Strategy.ROLLING
    assert policy(SPEC).strategy is Strategy.CANARY


def test_merge_patch_sends_only_changes_and_nulls_removed_keys() -> None:
    old = {"phase": "Ready", "trackValues": {"a": {"x": 1}, "b": {"x": 2}}, "weight": 0}
    new = {"phase": "Ready", "trackValues": {"b": {"x": 2}, "c": {"x": 3}}, "weight": 0}
    assert merge_patch(old, new) == {"trackValues": {"a": None, "c": {"x": 3}}}
    assert merge_patch(new, new) == {}


def test_status_view_shows_step_weight_and_each_check() -> None:
    obj = {
        "metadata": {"name": "orders", "namespace": "shop"},
        "spec": {"rollout": {"canary": {"steps": [10, 25, 50]}}},
        "status": {
            "phase": "Progressing",
            "weight": 25,
            "effectiveWeight": 33,
            "conditions": [
                {"type": "Ready", "status": "False"},
                {"type": "Stalled", "status": "False"},
            ],
            "rollout": {
                "stable": {"image": "r/orders:1.4.1", "id": "aaa"},
                "canary": {"image": "r/orders:1.4.2", "id": "bbb"},
                "step": 1,
                "failedChecks": 1,
                "lastAnalysis": {
                    "checks": [
                        {
                            "name": "successRate",
                            "value": 98.5,
                            "threshold": ">= 99",
                            "outcome": "fail",
                        },
                        {
                            "name": "latencyP99",
                            "value": None,
                            "threshold": "<= 500",
                            "outcome": "inconclusive",
                        },
                    ]
                },
            },
        },
    }
    text = render_status(obj)
    assert "shop/orders  phase: Progressing" in text
    assert "step 2/3" in text
    assert bar(25) in text
    assert "effective 33%" in text
    assert "FAIL successRate" in text
    assert "98.500" in text
    assert "no data" in text
    assert bar(0).startswith("[.")
    assert bar(100).endswith("] 100%")


def _two_revisions() -> tuple[dict[str, Any], Revision, Revision, dict[str, dict[str, Any]]]:
    old = desired_revision(SPEC, "d")
    new_spec = {**SPEC, "image": {"repository": "r/catalog", "tag": "2.0"}}
    new = desired_revision(new_spec, "d")
    return new_spec, old, new, {old.id: track_values(SPEC), new.id: track_values(new_spec)}


def test_a_routed_canary_gets_no_traffic_until_its_pods_are_ready() -> None:
    new_spec, old, new, remembered = _two_revisions()
    plan = RenderPlan(old, new, 50)
    held = render_values(new_spec, plan, "gatewayAPI", remembered, canary_ready=False)
    assert held["canary"]["weight"] == 0
    assert held["canary"]["replicaCount"] == 2  # sized for 50 % of 3 stable pods: ceil(1.5)
    ready = render_values(new_spec, plan, "gatewayAPI", remembered, canary_ready=True)
    assert ready["canary"]["weight"] == 50
    assert "replicaCount" not in ready["canary"]
    # With the replica split the weight is the canary's size: never held at 0.
    split = render_values(new_spec, plan, "replicas", remembered, canary_ready=False)
    assert split["canary"]["weight"] == 50


def test_preview_values_carry_its_revision_size_and_the_switch() -> None:
    new_spec, old, new, remembered = _two_revisions()
    plan = RenderPlan(old, None, 0, preview=new, preview_active=True, preview_replicas=3)
    values = render_values(new_spec, plan, "replicas", remembered)
    assert values["canary"] == {"enabled": False}
    assert values["image"]["tag"] == "1.0"
    assert values["preview"] == {
        "enabled": True,
        "active": True,
        "image": {"repository": "r/catalog", "tag": "2.0"},
        "replicaCount": 3,
        "env": [{"name": "A", "value": "1"}],
        "config": {"K": "v"},
        "podAnnotations": {REVISION_ANNOTATION: new.id},
        "podLabels": {REVISION_LABEL: new.id},
    }
    none = render_values(SPEC, RenderPlan(old, None, 0), "replicas", remembered)
    assert none["preview"] == {"enabled": False}


def test_status_view_shows_the_preview_and_the_active_track() -> None:
    obj = {
        "metadata": {"name": "catalog", "namespace": "shop"},
        "spec": {"rollout": {"strategy": "blueGreen"}},
        "status": {
            "phase": "Promoting",
            "conditions": [{"type": "Ready", "status": "False"}],
            "rollout": {
                "stable": {"image": "r/catalog:1.0", "id": "aaaa"},
                "preview": {"image": "r/catalog:2.0", "id": "bbbb"},
                "switchedAt": 100.0,
                "step": 3,
            },
        },
    }
    text = render_status(obj)
    assert "  preview: r/catalog:2.0  (bbbb)" in text
    assert "active Service -> preview  passed analyses: 3" in text
    obj["status"]["rollout"]["switchedAt"] = None
    assert "active Service -> stable" in render_status(obj)
