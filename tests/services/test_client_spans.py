"""Outgoing calls (flaskops_flask.client_spans): one CLIENT span with the stable HTTP
attributes when it can record, only the W3C header when the sampler would drop it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flaskops_flask.client_spans import install_client_spans, uninstall_client_spans
from opentelemetry import baggage, context, trace
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    StatusCode,
    TraceFlags,
    TraceState,
)
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

ORIGINAL_SEND = requests.Session.send
UNSAMPLED = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=False)


class Recorder(BaseAdapter):
    """A transport that answers (200 unless told) and keeps the headers each request went out with."""

    def __init__(self, status: int = 200, error: Exception | None = None) -> None:
        super().__init__()
        self.sent: list[dict[str, str]] = []
        self.status = status
        self.error = error

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        self.sent.append(dict(request.headers))
        if self.error is not None:
            raise self.error
        response = Response()
        response.status_code = self.status
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        """Nothing to close: no connections are opened."""


def traced(sampler: Sampler) -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    provider = TracerProvider(sampler=sampler)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert install_client_spans(provider, "1.0")
    try:
        yield provider, exporter
    finally:
        uninstall_client_spans()
    assert requests.Session.send is ORIGINAL_SEND, "uninstall left a wrapper behind"


@pytest.fixture
def instrumented() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    yield from traced(ParentBased(ALWAYS_ON))


def call(adapter: Recorder, url: str = "http://catalog.test/items/1") -> Response:
    session = requests.Session()
    session.mount("http://", adapter)
    return session.get(url, timeout=1)


def under(span_context: SpanContext, adapter: Recorder) -> None:
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(span_context)))
    try:
        call(adapter)
    finally:
        context.detach(token)


def test_unsampled_parent_sends_its_context_without_a_span(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    adapter = Recorder()
    under(UNSAMPLED, adapter)
    assert (
        adapter.sent[0]["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    )
    assert exporter.get_finished_spans() == ()


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert len(spans) == 1, spans
    return spans[0]


def test_sampled_parent_gets_a_client_span_with_the_stable_attributes(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = instrumented
    adapter = Recorder()
    with provider.get_tracer("test").start_as_current_span("server", kind=SpanKind.SERVER):
        call(adapter, "http://catalog.test:8001/items/1?q=x")
    client, server = exporter.get_finished_spans()
    assert client.kind is SpanKind.CLIENT
    assert client.name == "GET"
    assert client.parent is not None
    assert client.parent.span_id == server.context.span_id
    assert client.instrumentation_scope is not None
    assert client.instrumentation_scope.name == "flaskops_flask"
    assert dict(client.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": "http://catalog.test:8001/items/1?q=x",
        "server.address": "catalog.test",
        "server.port": 8001,
        "http.response.status_code": 200,
    }
    assert client.status.status_code is StatusCode.UNSET
    sent = adapter.sent[0]["traceparent"].split("-")
    assert sent[2] == format(client.context.span_id, "016x")
    assert int(sent[3], 16) & TraceFlags.SAMPLED


def test_calls_outside_any_request_are_roots(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    call(Recorder())
    client = only_span(exporter)
    assert client.parent is None
    assert dict(client.attributes or {})["server.port"] == 80


def test_credentials_and_signatures_do_not_reach_the_span(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    call(Recorder(), "http://svc:s3cret@catalog.test/items/1?sig=abc&q=x")
    url = str(dict(only_span(exporter).attributes or {})["url.full"])
    assert "s3cret" not in url
    assert "abc" not in url
    assert url.startswith("http://REDACTED:REDACTED@catalog.test/items/1?")


def test_an_error_status_marks_the_span(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    assert call(Recorder(status=503)).status_code == 503
    client = only_span(exporter)
    assert dict(client.attributes or {})["error.type"] == "503"
    assert client.status.status_code is StatusCode.ERROR


def test_a_failed_call_ends_its_span_and_raises(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    with pytest.raises(requests.ConnectionError):
        call(Recorder(error=requests.ConnectionError("refused")))
    client = only_span(exporter)
    assert dict(client.attributes or {})["error.type"] == "ConnectionError"
    assert "http.response.status_code" not in dict(client.attributes or {})
    assert client.status.status_code is StatusCode.ERROR


def test_suppressed_instrumentation_sends_the_call_untouched(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    adapter = Recorder()
    with suppress_http_instrumentation():
        call(adapter)
    assert "traceparent" not in adapter.sent[0]
    assert exporter.get_finished_spans() == ()


def test_a_sampler_that_records_children_of_unsampled_spans_gets_spans() -> None:
    for _provider, exporter in traced(ALWAYS_ON):
        adapter = Recorder()
        under(UNSAMPLED, adapter)
        assert only_span(exporter).parent is not None
        assert adapter.sent[0]["traceparent"].endswith("-01")


def test_installing_twice_wraps_once(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = instrumented
    assert not install_client_spans(provider)
    call(Recorder())
    assert len(exporter.get_finished_spans()) == 1


def test_a_request_without_headers_gets_them(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    adapter = Recorder()
    session = requests.Session()
    session.mount("http://", adapter)
    prepared = requests.Request("GET", "http://catalog.test/").prepare()
    prepared.headers = None  # type: ignore[assignment]
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(SpanContext(1, 2, False))))
    try:
        session.send(prepared, timeout=1)
    finally:
        context.detach(token)
    assert adapter.sent[0]["traceparent"].endswith("-0000000000000002-00")


def test_an_unsampled_parent_passes_on_its_tracestate_and_baggage(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """The header-only path writes traceparent itself only when there is nothing else to
    carry; otherwise the propagators' inject runs and keeps tracestate and baggage."""
    adapter = Recorder()
    with_state = SpanContext(
        UNSAMPLED.trace_id,
        UNSAMPLED.span_id,
        is_remote=False,
        trace_state=TraceState([("vendor", "abc")]),
    )
    under(with_state, adapter)
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        under(UNSAMPLED, adapter)
    finally:
        context.detach(token)
    assert adapter.sent[0]["tracestate"] == "vendor=abc"
    assert adapter.sent[1]["baggage"] == "tenant=acme"
    assert {s["traceparent"] for s in adapter.sent} == {
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    }
