"""Every rendered object validates against the Kubernetes 1.35 schemas (kubernetes-validate,
offline) or, for ServiceMonitor / PodMonitor / PrometheusRule / HTTPRoute, against the
openAPIV3Schema of the pinned CRDs (hack/crds.sh). The server-side dry-run of the same
objects is in test_cluster.py."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.charts.chart import render
from tests.charts.scenarios import SCENARIOS
from tests.support.tools import crds_dir

CRD_GROUPS = {"monitoring.coreos.com", "gateway.networking.k8s.io"}


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version of the pinned CRDs."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(Path(crds_dir()).glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    out[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return out


def validate(obj: dict[str, Any]) -> None:
    group = obj["apiVersion"].split("/")[0]
    if group in CRD_GROUPS:
        # No check_schema: the CRDs' patterns are Go regexps (e.g. `^(?i)...`), which Python's
        # re only rejects when a value actually has to match them.
        jsonschema.Draft7Validator(crd_schemas()[(obj["apiVersion"], obj["kind"])]).validate(obj)
    else:
        kubernetes_validate.validate(obj, "1.35.0", strict=True)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_object_validates(scenario: str) -> None:
    manifest = render(SCENARIOS[scenario])
    assert manifest.objects
    for obj in manifest.objects:
        try:
            validate(obj)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as err:
            pytest.fail(f"{scenario}: {obj['kind']}/{obj['metadata']['name']} is invalid: {err}")


def test_scenarios_cover_every_kind() -> None:
    kinds = {o["kind"] for values in SCENARIOS.values() for o in render(values).objects}
    assert kinds >= {
        "Deployment", "Service", "ServiceAccount", "ConfigMap", "Secret", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "NetworkPolicy", "Ingress", "HTTPRoute", "ServiceMonitor",
        "PodMonitor", "PrometheusRule", "Pod",
    }  # fmt: skip


def test_strict_validation_catches_a_bad_field() -> None:
    """Guards the guard: a misspelt field must not pass."""
    deployment = render().get("Deployment")
    deployment["spec"]["template"]["spec"]["containerz"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    monitor = render().get("ServiceMonitor")
    monitor["spec"]["endpoints"][0]["interval"] = "soon"
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor)
