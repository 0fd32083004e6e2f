"""The collector gateway config users deploy (charts/flaskops-observability/files/collector)
validates with a collector built from exactly its components, the chart ships it
unchanged, and the same check rejects a broken config."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.gateway import GATEWAY_CONFIG, SPANMETRICS_CONFIG, validate
from tests.support.tools import REPO, require

CHART = REPO / "charts/flaskops-observability"


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [require("helm"), "template", "obs", str(CHART), "-n", "monitoring", "-f", "-"],
        input=yaml.safe_dump(values),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def configmap(docs: list[dict[str, Any]]) -> dict[str, str]:
    (cm,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "obs-collector"
    ]
    return dict(cm["data"])


def check(*configs: Path) -> None:
    proc = validate(require("otelcol-gateway"), *configs)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_gateway_config_validates_alone_and_with_span_metrics() -> None:
    check(GATEWAY_CONFIG)
    check(GATEWAY_CONFIG, SPANMETRICS_CONFIG)
    config = yaml.safe_load(GATEWAY_CONFIG.read_text())
    traces = config["service"]["pipelines"]["traces"]
    # memory_limiter first; batching in the exporter's queue, not a batch processor.
    assert traces["processors"] == ["memory_limiter", "k8s_attributes"]
    assert traces["exporters"] == ["otlp_grpc/traces"]
    assert "batch" in config["exporters"]["otlp_grpc/traces"]["sending_queue"]


def test_the_chart_ships_the_file_unchanged_and_its_rendered_files_validate(
    tmp_path: Path,
) -> None:
    values = {
        "collector": {
            "enabled": True,
            "traces": {"endpoint": "tempo.tracing:4317", "insecure": True},
            "spanMetrics": {"enabled": True},
            "overrides": {"processors": {"memory_limiter": {"limit_percentage": 70}}},
        }
    }
    data = configmap(render(values))
    assert data["gateway.yaml"] == GATEWAY_CONFIG.read_text()
    assert data["spanmetrics.yaml"] == SPANMETRICS_CONFIG.read_text()
    overrides = yaml.safe_load(data["overrides.yaml"])
    assert overrides["exporters"]["otlp_grpc/traces"] == {
        "endpoint": "tempo.tracing:4317",
        "tls": {"insecure": True},
    }
    assert overrides["processors"]["memory_limiter"]["limit_percentage"] == 70
    # In the order the docs give: gateway, span metrics, overrides last.
    paths = []
    for key in ("gateway.yaml", "spanmetrics.yaml", "overrides.yaml"):
        (tmp_path / key).write_text(data[key])
        paths.append(tmp_path / key)
    check(*paths)


def test_tls_stays_on_and_span_metrics_off_unless_asked() -> None:
    data = configmap(render({"collector": {"enabled": True}}))
    assert set(data) == {"gateway.yaml", "overrides.yaml"}
    overrides = yaml.safe_load(data["overrides.yaml"])
    assert overrides["exporters"]["otlp_grpc/traces"]["tls"] == {"insecure": False}


def test_nothing_renders_unless_enabled() -> None:
    kinds = {d["kind"] for d in render({}) if d["metadata"]["name"].startswith("obs-collector")}
    assert kinds == set()


def test_the_k8s_attributes_role_only_reads() -> None:
    docs = render({"collector": {"enabled": True}})
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    assert {v for r in role["rules"] for v in r["verbs"]} == {"get", "list", "watch"}
    # Pods only: the running gateway in tests/services/test_gateway_to_jaeger.py shows it
    # is enough for gateway.yaml's extract rules.
    assert [(r["apiGroups"], r["resources"]) for r in role["rules"]] == [([""], ["pods"])]
    (binding,) = [d for d in docs if d["kind"] == "ClusterRoleBinding"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "obs-collector", "namespace": "monitoring"}
    ]


def _broken(edit: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(GATEWAY_CONFIG.read_text())
    if edit == "misspelled key":
        limiter = config["processors"]["memory_limiter"]
        limiter["limit_percentag"] = limiter.pop("limit_percentage")
    elif edit == "undefined processor":
        config["service"]["pipelines"]["traces"]["processors"].append("batch")
    elif edit == "component not built in":
        config["processors"]["batch"] = {}
        config["service"]["pipelines"]["traces"]["processors"].append("batch")
    return config


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("misspelled key", "has invalid keys: limit_percentag"),
        ("undefined processor", 'references processor "batch" which is not configured'),
        # Exactly the gateway's components: the batch processor it replaced is not there.
        ("component not built in", 'unknown type: "batch"'),
    ],
)
def test_the_same_check_rejects_a_broken_config(tmp_path: Path, edit: str, message: str) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(_broken(edit)))
    proc = validate(require("otelcol-gateway"), path)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
