"""The short path for outgoing calls under unsampled spans (flaskops.flask.client_spans):
the W3C header still goes out, sampled calls still get RequestsInstrumentor's CLIENT span."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flaskops.flask.client_spans import drops_unsampled_children, install_unsampled_fast_path
from opentelemetry import context, trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

ORIGINAL_SEND = requests.Session.send


@pytest.mark.parametrize(
    ("sampler", "expected"),
    [
        (ParentBased(ALWAYS_ON), True),
        (ParentBasedTraceIdRatio(0.1), True),
        (TraceIdRatioBased(0.1), False),
        (ALWAYS_ON, False),
        (ParentBased(ALWAYS_ON, local_parent_not_sampled=ALWAYS_ON), False),
    ],
)
def test_only_samplers_that_drop_unsampled_children_qualify(
    sampler: Sampler, expected: bool
) -> None:
    assert drops_unsampled_children(sampler) is expected


class Recorder(BaseAdapter):
    """A transport that answers 200 and keeps the headers each request went out with."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, str]] = []

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        self.sent.append(dict(request.headers))
        response = Response()
        response.status_code = 200
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        """Nothing to close: no connections are opened."""


@pytest.fixture
def instrumented() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    provider = TracerProvider(sampler=ParentBased(ALWAYS_ON))
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert install_unsampled_fast_path(provider)
        yield provider, exporter
    finally:
        instrumentor.uninstrument()
    assert requests.Session.send is ORIGINAL_SEND, "uninstrument() left a wrapper behind"


def call(adapter: Recorder) -> None:
    session = requests.Session()
    session.mount("http://", adapter)
    assert session.get("http://catalog.test/items/1", timeout=1).status_code == 200


def test_unsampled_parent_sends_its_context_without_a_span(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    parent = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=False)
    adapter = Recorder()
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        call(adapter)
    finally:
        context.detach(token)
    assert (
        adapter.sent[0]["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    )
    assert exporter.get_finished_spans() == ()


def test_sampled_parent_still_gets_the_client_span(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = instrumented
    adapter = Recorder()
    with provider.get_tracer("test").start_as_current_span("server", kind=SpanKind.SERVER):
        call(adapter)
    client, server = exporter.get_finished_spans()
    assert client.kind is SpanKind.CLIENT
    assert client.parent is not None
    assert client.parent.span_id == server.context.span_id
    assert client.attributes is not None
    assert client.attributes["http.method"] == "GET"
    sent = adapter.sent[0]["traceparent"].split("-")
    assert sent[2] == format(client.context.span_id, "016x")
    assert int(sent[3], 16) & TraceFlags.SAMPLED


def test_calls_outside_any_request_are_roots_as_before(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = instrumented
    call(Recorder())
    (client,) = exporter.get_finished_spans()
    assert client.kind is SpanKind.CLIENT
    assert client.parent is None


def test_a_sampler_that_may_record_children_keeps_the_plain_instrumentation() -> None:
    recording = TracerProvider(sampler=ALWAYS_ON)
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=recording)
    try:
        instrumented_send = requests.Session.send
        assert not install_unsampled_fast_path(recording)
        assert requests.Session.send is instrumented_send
    finally:
        instrumentor.uninstrument()


def test_a_request_without_headers_gets_them(
    instrumented: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    parent = SpanContext(0x1, 0x2, is_remote=False)
    adapter = Recorder()
    session = requests.Session()
    session.mount("http://", adapter)
    prepared = requests.Request("GET", "http://catalog.test/").prepare()
    prepared.headers = None  # type: ignore[assignment]
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        session.send(prepared, timeout=1)
    finally:
        context.detach(token)
    assert adapter.sent[0]["traceparent"].endswith("-0000000000000002-00")
