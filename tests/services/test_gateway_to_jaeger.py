"""orders -> catalog with tracing, through the shipped collector gateway config (run by the
gateway binary from the chart's ConfigMap, as the chart's ServiceAccount against the test
cluster's apiserver for k8s_attributes) to a real Jaeger:
the trace is found through Jaeger's query API with both services' spans, linked, and the
catalog's spans carry its pod's metadata that only the apiserver knew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.gateway import Gateway
from tests.support.jaeger import Jaeger
from tests.support.kube import Helm, Kubectl
from tests.support.operator import serviceaccount_kubeconfig
from tests.support.otel import Span
from tests.support.prometheus import Prometheus
from tests.support.services import start_service
from tests.support.tools import REPO, require

POD = "catalog-5c9d8f7b6-x2kqz"
CHART = REPO / "charts/flaskops-observability"


@pytest.fixture
def jaeger(tmp_path: Path) -> Iterator[Jaeger]:
    backend = Jaeger(require("jaeger"), tmp_path)
    yield backend
    backend.stop()


@pytest.fixture
def catalog_pod(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    """The pod the catalog process plays: known to the apiserver, labelled as the chart does."""
    kubectl.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": POD,
                "namespace": namespace,
                "labels": {"flaskops.io/service": "catalog", "flaskops.io/track": "canary"},
            },
            "spec": {"containers": [{"name": "app", "image": "registry.example/catalog:1.4.0"}]},
        }
    )
    return dict(kubectl.json("get", "pod", POD, "-n", namespace))


@pytest.fixture
def gateway(
    tmp_path: Path,
    jaeger: Jaeger,
    prometheus: Prometheus,
    helm: Helm,
    kubectl: Kubectl,
    namespace: str,
) -> Iterator[Gateway]:
    """The chart's collector config and RBAC installed for real; the gateway runs the
    ConfigMap's files as its pod would, authenticated as the chart's ServiceAccount."""
    otlp_metrics = f"{prometheus.url}/api/v1/otlp/v1/metrics"
    helm.run(
        "install", "obs", str(CHART), "-n", namespace,
        "--set", "collector.enabled=true",
        "--set", "collector.spanMetrics.enabled=true",
        "--set", f"collector.spanMetrics.endpoint={otlp_metrics}",
        # Flush span metrics every second instead of every 15, for the test's sake.
        "--set", "collector.overrides.connectors.span_metrics.metrics_flush_interval=1s",
    )  # fmt: skip
    try:
        data = kubectl.json("get", "configmap", "obs-collector", "-n", namespace)["data"]
        files = []
        for key in ("gateway.yaml", "spanmetrics.yaml", "overrides.yaml"):
            (tmp_path / key).write_text(data[key])
            files.append(tmp_path / key)
        creds = serviceaccount_kubeconfig(
            kubectl, namespace, "obs-collector", tmp_path / "sa.kubeconfig"
        )
        gw = Gateway(
            require("otelcol-gateway"), tmp_path / "gw", jaeger.otlp_endpoint, creds, files
        )
        yield gw
        gw.stop()
    finally:
        # Its ClusterRole and binding outlive the namespace otherwise.
        helm.run("uninstall", "obs", "-n", namespace, check=False)


def test_a_trace_through_the_gateway_is_found_in_jaeger_with_both_services(
    jaeger: Jaeger, gateway: Gateway, catalog_pod: dict[str, Any], namespace: str
) -> None:
    common = {"OTEL_EXPORTER_OTLP_ENDPOINT": gateway.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    # What the flask-service chart puts in OTEL_RESOURCE_ATTRIBUTES for a pod.
    pod_attrs = f"k8s.pod.name={POD},k8s.namespace.name={namespace}"
    trace_id = "5cf92f3577b34da6a3ce929d0e0e4737"
    with (
        start_service(
            "catalog",
            {**common, "OTEL_SERVICE_NAME": "catalog-gw", "OTEL_RESOURCE_ATTRIBUTES": pod_attrs},
        ) as catalog,
        start_service(
            "orders", {**common, "OTEL_SERVICE_NAME": "orders-gw", "CATALOG_URL": catalog.url}
        ) as orders,
    ):
        resp = requests.get(
            f"{orders.url}/orders/7",
            headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
            timeout=5,
        )
        assert resp.status_code == 200

        def complete(trace: list[Span]) -> bool:
            return trace[0].trace_id == trace_id and {s.service for s in trace} == {
                "orders-gw",
                "catalog-gw",
            }

        trace = jaeger.wait_for_trace("orders-gw", complete)

    by_kind = {(s.service, s.kind): s for s in trace}
    o_server, o_client = by_kind["orders-gw", "2"], by_kind["orders-gw", "3"]
    c_server = by_kind["catalog-gw", "2"]
    assert o_client.parent_span_id == o_server.span_id
    assert c_server.parent_span_id == o_client.span_id
    assert c_server.name == "GET /items/<int:item_id>"
    # k8s_attributes looked the pod up by name and namespace in the apiserver.
    assert c_server.resource["k8s.pod.uid"] == catalog_pod["metadata"]["uid"]
    assert c_server.resource["flaskops.track"] == "canary"
    assert c_server.resource["flaskops.service"] == "catalog"
    assert "k8s.pod.uid" not in o_server.resource, "orders named no pod: nothing to attach"
    assert "catalog-gw" in jaeger.services()
    # Least privilege held: no watch the ServiceAccount may not do.
    assert "forbidden" not in gateway.logs(), gateway.logs()


def test_span_metrics_reach_prometheus_through_the_gateway(
    gateway: Gateway, prometheus: Prometheus, catalog_pod: dict[str, Any], namespace: str
) -> None:
    """The optional spanmetrics.yaml: request counts computed from the spans, written to
    Prometheus 3's OTLP receiver, named after the service and the span (route) and method."""
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": gateway.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_SERVICE_NAME": "catalog-sm",
        "OTEL_RESOURCE_ATTRIBUTES": f"k8s.pod.name={POD},k8s.namespace.name={namespace}",
    }
    with start_service("catalog", env, workers=1) as catalog:
        for _ in range(5):
            assert requests.get(f"{catalog.url}/items/3", timeout=5).status_code == 200
        query = (
            'traces_span_metrics_calls_total{job="catalog-sm",span_name="GET /items/<int:item_id>"}'
        )
        result = prometheus.wait_for(
            query, lambda r: bool(r) and float(r[0]["value"][1]) >= 5, timeout=60
        )
    assert result[0]["metric"]["http_request_method"] == "GET"
