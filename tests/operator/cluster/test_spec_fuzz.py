"""Fuzz: every FlaskService spec the API server accepts renders with helm and passes the
chart's own checks (its values schema and `fail` guards), for the stable track alone and
during a canary; every spec it refuses is refused with a message naming a spec field.

Specs come from the CRD's own schema plus mutations (tests/support/schema_strategies.py),
with a fixed example budget and seed so the run is fast and repeatable. Each accepted but
broken spec this found became a rule in the CRD (operator/flaskops/crd.py CHART_RULES).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flaskops import tracks
from flaskops.render import Renderer, RenderError
from flaskops.rollout import RenderPlan, Revision
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.support.operator import SERVICE_CHART
from tests.support.schema_strategies import from_schema, mutated
from tests.support.tools import REPO, require

CRD = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"
SPEC_SCHEMA: dict[str, Any] = yaml.safe_load(CRD.read_text())["spec"]["versions"][0]["schema"][
    "openAPIV3Schema"
]["properties"]["spec"]
VALID_IMAGE = st.fixed_dictionaries(
    {"repository": st.sampled_from(["registry.example/orders", "ghcr.io/acme/app"])},
    optional={"tag": st.sampled_from(["1.0.0", "v2"]), "digest": st.just("sha256:" + "a" * 64)},
).filter(lambda image: "tag" in image or "digest" in image)


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(from_schema(SPEC_SCHEMA))
    if draw(st.integers(0, 4)):  # mostly a runnable image, so most examples get to helm
        spec["image"] = draw(VALID_IMAGE)
    return spec


@pytest.fixture(scope="module")
def api(kubeconfig: Path, flaskservice_crd: str) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(config.new_client_from_config(str(kubeconfig)))


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(
        chart=SERVICE_CHART,
        helm=require("helm"),
        api_versions=("monitoring.coreos.com/v1", "gateway.networking.k8s.io/v1", "autoscaling/v2"),
    )


def admitted(api: client.CustomObjectsApi, spec: dict[str, Any]) -> str | None:
    """None when the API server accepts the spec (dry run), else its message."""
    body = {
        "apiVersion": "flaskops.io/v1alpha1",
        "kind": "FlaskService",
        "metadata": {"name": "fuzz"},
        "spec": spec,
    }
    try:
        api.create_namespaced_custom_object(
            "flaskops.io", "v1alpha1", "default", "flaskservices", body,
            dry_run="All", field_validation="Strict",
        )  # fmt: skip
    except ApiException as e:
        if e.status not in (400, 422):
            raise
        return str(json.loads(e.body or "{}").get("message", e.body))
    return None


def operator_values(spec: dict[str, Any], canary: bool) -> dict[str, Any]:
    """The values the operator renders for this spec (flaskops.reconcile's path)."""
    stable = tracks.desired_revision(spec, "none")
    remembered = {stable.id: tracks.track_values(spec)}
    plan = RenderPlan(stable=stable, canary=None, weight=0)
    if canary:
        new = Revision(image=stable.image, config_hash="f" * 16)
        remembered[new.id] = tracks.track_values(spec)
        plan = RenderPlan(stable=stable, canary=new, weight=20)
    values = tracks.render_values(spec, plan, tracks.traffic_mode(spec), remembered)
    values.setdefault("fullnameOverride", "fuzz")
    return values


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    # Shrinking against an API server and helm takes minutes; the report carries the full
    # spec and helm's message, which is what a new CRD rule needs.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(spec=mutated(specs()))
def test_every_accepted_spec_renders(
    api: client.CustomObjectsApi, renderer: Renderer, spec: dict[str, Any]
) -> None:
    refused = admitted(api, spec)
    if refused is not None:
        event("refused")
        assert "spec" in refused, f"refused without naming a field: {refused}"
        return
    event("accepted")
    for canary in (False, True):
        try:
            objects = renderer.render("fuzz", "default", operator_values(spec, canary))
        except RenderError as e:
            pytest.fail(
                f"accepted by the API server but helm refuses it (canary={canary}):\n"
                f"{json.dumps(spec, indent=1)}\n{e}"
            )
        kinds = {o["kind"] for o in objects}
        assert "Deployment" in kinds, kinds
