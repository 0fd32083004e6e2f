"""The generated docs are current, every chart lints clean, and the library works from a
chart of its own (flask-lib-test) exactly as it does inside flask-service."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.charts.chart import LIB_TEST_CHART, SERVICE_CHART, render
from tests.charts.scenarios import SCENARIOS
from tests.support.tools import REPO, require


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_schema_descriptions_and_constraints_table_are_current() -> None:
    proc = run(
        "uv", "run", "--frozen", "python", "hack/chart_docs.py", "--check", "charts/flask-service"
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("chart", ["flask-service", "flaskops-operator"])
def test_readme_is_current(chart: str) -> None:
    proc = run(
        require("helm-docs"), "--dry-run", "--log-level", "error", "--chart-search-root", "charts",
        "--chart-to-generate", f"charts/{chart}", "--sort-values-order", "file",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    readme = (REPO / "charts" / chart / "README.md").read_text()
    assert proc.stdout == readme, f"charts/{chart}/README.md is stale: run `make chart-docs`"


def test_readme_documents_every_value() -> None:
    readme = (SERVICE_CHART / "README.md").read_text()
    for key in (
        "canary.traffic",
        "metrics.monitor.labels",
        "opentelemetry.samplerArg",
        "autoscaling.minReplicas",
    ):
        assert f"| {key} |" in readme
    assert "### Value constraints (from values.schema.json)" in readme
    assert "| `canary.weight` | integer | 0..100 |" in readme


def test_schema_stays_in_the_subset_kubernetes_structural_schemas_accept() -> None:
    """The operator turns this schema into a CRD: no $ref, no mixed-type unions."""
    forbidden = {"$ref", "definitions", "$defs", "oneOf", "patternProperties", "allOf", "not", "if"}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            assert not forbidden & node.keys(), f"{path}: {forbidden & node.keys()}"
            if "anyOf" in node:
                assert node.get("x-kubernetes-int-or-string") is True, (
                    f"{path}: anyOf only for int-or-string"
                )
            elif (
                "properties" in node or "items" in node or (path.count("/") and "type" not in node)
            ):
                assert "type" in node, f"{path} has no type"
            for key, sub in node.items():
                if key in {"properties"}:
                    for name, prop in sub.items():
                        assert "description" in prop, f"{path}/{name} has no description"
                        walk(prop, f"{path}/{name}")
                elif key in {"items", "additionalProperties"}:
                    walk(sub, f"{path}/{key}")

    walk(json.loads((SERVICE_CHART / "values.schema.json").read_text()), "")


@pytest.mark.parametrize(
    "argv",
    [
        ["charts/flask-lib"],
        ["charts/flask-service"],
        ["charts/flaskops-operator"],
        [
            "charts/flask-lib-test",
            "-f",
            "charts/flask-service/values.yaml",
            "-f",
            "charts/flask-lib-test/values.yaml",
        ],
    ],
    ids=["flask-lib", "flask-service", "flaskops-operator", "flask-lib-test"],
)
def test_helm_lint_strict(argv: list[str]) -> None:
    proc = run(require("helm"), "lint", "--strict", *argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def _normalise(objs: list[dict[str, Any]], chart: str) -> list[dict[str, Any]]:
    ordered = sorted(objs, key=lambda o: (o["kind"], o["metadata"]["name"]))
    return list(json.loads(json.dumps(ordered).replace(chart, "CHART")))


@pytest.mark.parametrize(
    "scenario", ["everything", "canary-gateway", "canary-nginx", "canary-replicas-hpa"]
)
def test_library_renders_the_same_from_another_chart(scenario: str) -> None:
    values = SCENARIOS[scenario]
    via_service = render(values, release="shop")
    via_test_chart = render(
        values, chart=LIB_TEST_CHART, release="shop", values_files=[SERVICE_CHART / "values.yaml"]
    )
    extra = via_test_chart.get("ConfigMap", "shop-flask-lib-test-extra")
    assert extra["data"]["serviceAccount"] == "shop-flask-lib-test"
    ours = [o for o in via_service.objects if o["kind"] != "Pod"]  # flask-lib-test has no test hook
    theirs = [o for o in via_test_chart.objects if o is not extra]
    assert _normalise(ours, "flask-service") == _normalise(theirs, "flask-lib-test")


def test_library_without_the_values_shape_fails_clearly() -> None:
    proc = run(require("helm"), "template", "x", str(LIB_TEST_CHART))
    assert proc.returncode != 0
    assert "start your values from charts/flask-service/values.yaml" in proc.stderr
