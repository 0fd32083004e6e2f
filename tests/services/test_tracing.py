"""Spans reach a real OpenTelemetry Collector: one trace across orders -> catalog, linked
parent to child, named and versioned from the environment; logs carry the trace id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.otel import OtelCollector, Span
from tests.support.services import RunningService, start_service


@pytest.fixture
def traced_pair(otel_collector: OtelCollector) -> Iterator[tuple[RunningService, RunningService]]:
    common = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otel_collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    with (
        start_service(
            "catalog",
            {
                **common,
                "OTEL_SERVICE_NAME": "catalog-tr",
                "OTEL_RESOURCE_ATTRIBUTES": "service.version=1.4.0,deployment.environment=test",
            },
        ) as catalog,
        start_service(
            "orders",
            {
                **common,
                "OTEL_SERVICE_NAME": "orders-tr",
                "SERVICE_VERSION": "2.1.0",
                "CATALOG_URL": catalog.url,
            },
        ) as orders,
    ):
        yield orders, catalog


def one_trace(spans: list[Span], trace_id: str) -> list[Span]:
    return [s for s in spans if s.trace_id == trace_id]


def test_one_trace_across_orders_and_catalog(
    traced_pair: tuple[RunningService, RunningService], otel_collector: OtelCollector
) -> None:
    orders, _catalog = traced_pair
    # Our own W3C traceparent makes the trace id known in advance, and proves propagation
    # from the caller too.
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = "00f067aa0ba902b7"
    resp = requests.get(
        f"{orders.url}/orders/12",
        headers={"traceparent": f"00-{trace_id}-{parent}-01"},
        timeout=5,
    )
    assert resp.status_code == 200

    spans = otel_collector.wait_for_spans(lambda s: len(one_trace(s, trace_id)) >= 3)
    trace = one_trace(spans, trace_id)
    server_orders = [s for s in trace if s.service == "orders-tr" and s.kind == "2"]
    client_orders = [s for s in trace if s.service == "orders-tr" and s.kind == "3"]
    server_catalog = [s for s in trace if s.service == "catalog-tr" and s.kind == "2"]
    assert len(server_orders) == len(client_orders) == len(server_catalog) == 1, trace
    (o_server,), (o_client,), (c_server,) = server_orders, client_orders, server_catalog

    assert o_server.parent_span_id == parent
    assert o_client.parent_span_id == o_server.span_id
    assert c_server.parent_span_id == o_client.span_id
    assert o_server.name == "GET /orders/<int:order_id>"
    assert c_server.name == "GET /items/<int:item_id>"
    assert o_server.resource["service.version"] == "2.1.0"
    assert c_server.resource["service.version"] == "1.4.0"
    assert c_server.resource["deployment.environment"] == "test"

    # A log line written inside the request carries the same trace id as its spans.
    lines = [r for r in orders.log_records() if r.get("message") == "order priced"]
    # Once: instrument() took the place of the gunicorn config's handler for app lines.
    assert len(lines) == 1, orders.logs()
    assert lines[-1]["trace_id"] == trace_id
    assert lines[-1]["span_id"] == o_server.span_id
    assert lines[-1]["service"] == "orders-tr"


def test_probes_and_metrics_are_not_traced(
    traced_pair: tuple[RunningService, RunningService], otel_collector: OtelCollector
) -> None:
    orders, _ = traced_pair
    for path in ("/healthz", "/readyz", "/metrics"):
        assert requests.get(orders.url + path, timeout=5).status_code == 200
    marker = requests.get(f"{orders.url}/", timeout=5)
    assert marker.status_code == 200
    spans = otel_collector.wait_for_spans(
        lambda s: any(x.service == "orders-tr" and x.name == "GET /" for x in s)
    )
    names = {s.name for s in spans if s.service == "orders-tr"}
    assert not names & {"GET /healthz", "GET /readyz", "GET /metrics"}, names


def test_an_unsampled_trace_is_followed_downstream_without_spans(
    traced_pair: tuple[RunningService, RunningService], otel_collector: OtelCollector
) -> None:
    """Flags 00 from the caller: orders records nothing, tells catalog so (the short client
    path of flaskops_flask.client_spans), and catalog's log line still carries the trace id."""
    orders, catalog = traced_pair
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    resp = requests.post(
        f"{orders.url}/orders",
        json={"item_id": 404},  # catalog logs "item not found" inside its request
        headers={"traceparent": f"00-{trace_id}-b7ad6b7169203331-00"},
        timeout=5,
    )
    assert resp.status_code == 422
    lines = [r for r in catalog.log_records() if r.get("message") == "item not found"]
    assert lines, catalog.logs()
    assert lines[-1]["trace_id"] == trace_id
    assert lines[-1]["trace_sampled"] is False

    # A sampled request afterwards: once its spans are in, the unsampled ones would be too.
    marker = requests.get(
        f"{orders.url}/orders/3", headers={"traceparent": f"00-{'1' * 32}-{'2' * 16}-01"}, timeout=5
    )
    assert marker.status_code == 200
    spans = otel_collector.wait_for_spans(lambda s: len(one_trace(s, "1" * 32)) >= 3)
    assert one_trace(spans, trace_id) == []
