"""The FlaskService CRD is generated from the chart's values schema and cannot drift."""

from __future__ import annotations

import json

import yaml
from flaskops.crd import EXCLUDED_VALUES, build_crd

from tests.support.tools import REPO

SCHEMA = REPO / "charts/flask-service/values.schema.json"
CRD_FILE = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"


def _generated() -> dict:
    return build_crd(json.loads(SCHEMA.read_text()))


def test_committed_crd_matches_the_chart_schema() -> None:
    committed = yaml.safe_load(CRD_FILE.read_text())
    assert committed == _generated(), "FlaskService CRD is stale: run `make generate`"


def test_every_chart_value_is_in_the_spec_except_the_operators_own() -> None:
    chart = json.loads(SCHEMA.read_text())["properties"]
    spec = _generated()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    excluded_top = {p[0] for p in EXCLUDED_VALUES if len(p) == 1}
    assert set(spec["properties"]) == (set(chart) - excluded_top) | {"rollout"}
    # Nested exclusion: secret data may be referenced, never inlined in a spec.
    assert set(spec["properties"]["secret"]["properties"]) == {"existingSecret"}


def test_schema_is_structural() -> None:
    """What the apiserver refuses in a CRD: additionalProperties beside properties, types
    inside anyOf, type lists."""

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            assert not ("properties" in node and node.get("additionalProperties") is False), path
            assert not isinstance(node.get("type"), list), path
            for branch in node.get("anyOf", []) + node.get("oneOf", []):
                assert "type" not in branch, path
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(_generated(), "crd")


def test_names_and_columns() -> None:
    crd = _generated()
    assert crd["metadata"]["name"] == "flaskservices.flaskops.io"
    assert crd["spec"]["names"]["shortNames"] == ["fsvc"]
    version = crd["spec"]["versions"][0]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    cols = [c["name"] for c in version["additionalPrinterColumns"]]
    assert cols == ["Phase", "Weight", "Image", "Ready", "Age"]
