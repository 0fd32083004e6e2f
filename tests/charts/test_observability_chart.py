"""charts/flaskops-observability: dashboard ConfigMaps the Grafana sidecar loads, valid for
Kubernetes 1.35, small enough for client-side apply; helm lint --strict; README current."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.charts.chart import CHARTS, Manifest, helm_template, render
from tests.charts.observability import OBS_FULLNAME, OBSERVABILITY_CHART, render_observability
from tests.charts.test_manifests_valid import validate
from tests.support.tools import REPO, require

# kubectl apply (client side) stores the whole object in this annotation, capped by the
# apiserver at 256 KiB for all annotations together.
LAST_APPLIED_LIMIT = 262144
DASHBOARDS = sorted(p.name for p in (REPO / "dashboards").glob("*.json"))


def dashboard_configmaps(manifest: Manifest) -> list[dict[str, Any]]:
    """ConfigMaps holding a dashboard (the chart also ships the collector's config)."""
    return [cm for cm in manifest.all("ConfigMap") if any(k.endswith(".json") for k in cm["data"])]


def test_one_labelled_configmap_per_dashboard_with_the_committed_json() -> None:
    manifest = render_observability()
    cms = {o["metadata"]["name"]: o for o in dashboard_configmaps(manifest)}
    assert sorted(cms) == [f"{OBS_FULLNAME}-{n.removesuffix('.json')}" for n in DASHBOARDS]
    for name in DASHBOARDS:
        cm = cms[f"{OBS_FULLNAME}-{name.removesuffix('.json')}"]
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["annotations"] == {"k8s-sidecar-target-directory": "flaskops"}
        assert cm["metadata"]["namespace"] == "demo"
        shipped = json.loads(cm["data"][name])
        assert shipped == json.loads((REPO / "dashboards" / name).read_text())


def test_folder_labels_and_switch_are_values() -> None:
    values = {
        "dashboards": {
            "labels": {"grafana_dashboard": "flaskops"},
            "folderAnnotation": "grafana_folder",
            "folder": "Platform/flaskops",
            "annotations": {"argocd.argoproj.io/sync-options": "ServerSideApply=true"},
        }
    }
    cm = dashboard_configmaps(render_observability(values))[0]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "flaskops"
    assert cm["metadata"]["annotations"] == {
        "grafana_folder": "Platform/flaskops",
        "argocd.argoproj.io/sync-options": "ServerSideApply=true",
    }
    no_folder = dashboard_configmaps(render_observability({"dashboards": {"folderAnnotation": ""}}))
    assert "annotations" not in no_folder[0]["metadata"]
    off = render_observability({"dashboards": {"enabled": False}})
    assert dashboard_configmaps(off) == []
    assert [o["kind"] for o in off.objects if "grafana_dashboard" in o["metadata"]["labels"]] == []
    assert off.all("PrometheusRule")
    assert render_observability({"prometheusRule": {"enabled": False}}).all("PrometheusRule") == []
    # No Prometheus Operator API, no PrometheusRule (helm install asks the cluster).
    assert render_observability(api_versions=()).all("PrometheusRule") == []


def test_every_object_validates_against_the_1_35_schemas() -> None:
    for obj in render_observability().objects:
        try:
            validate(obj)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as err:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} is invalid: {err}")


def test_configmaps_fit_client_side_apply() -> None:
    for cm in dashboard_configmaps(render_observability()):
        # What kubectl writes into the annotation: the object as JSON, compact.
        last_applied = json.dumps(cm, separators=(",", ":"))
        size = len(last_applied.encode())
        assert size < LAST_APPLIED_LIMIT // 4, f"{cm['metadata']['name']}: {size} bytes"


def test_bad_values_are_refused_naming_the_field() -> None:
    proc = helm_template(
        {"prometheusRule": {"stalled": {"for": "ten minutes"}}}, chart=OBSERVABILITY_CHART
    )
    assert proc.returncode != 0
    assert "prometheusRule.stalled.for" in proc.stderr.replace("/", ".")
    proc = helm_template({"dashboards": {"lables": {}}}, chart=OBSERVABILITY_CHART)
    assert proc.returncode != 0
    assert "lables" in proc.stderr


def test_helm_lint_strict() -> None:
    proc = subprocess.run(
        [require("helm"), "lint", "--strict", str(OBSERVABILITY_CHART)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_is_current() -> None:
    proc = subprocess.run(
        [
            require("helm-docs"), "--dry-run", "--log-level", "error", "--chart-search-root",
            "charts", "--chart-to-generate", "charts/flaskops-observability",
            "--sort-values-order", "file",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    readme = (OBSERVABILITY_CHART / "README.md").read_text()
    assert proc.stdout == readme, "charts/flaskops-observability/README.md: run `make chart-docs`"
    assert "| dashboards.folder |" in readme


def test_operator_servicemonitor_keeps_the_flaskservice_namespace_label() -> None:
    """The canary dashboard and the alerts select the operator's series by `namespace`."""
    monitor = render(chart=CHARTS / "flaskops-operator", release="op").all("ServiceMonitor")
    assert [e["honorLabels"] for e in monitor[0]["spec"]["endpoints"]] == [True]
