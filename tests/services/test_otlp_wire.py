"""The direct OTLP wire encoder says exactly what the upstream encoder says."""

from __future__ import annotations

from typing import Any

from flaskops_flask.otlp_wire import encode_request
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)

scalars = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
)
values = st.one_of(
    scalars,
    st.lists(st.text(max_size=5), max_size=3).map(tuple),
    st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=3).map(tuple),
)
attributes = st.dictionaries(st.text(min_size=1, max_size=12), values, max_size=6)
ids = st.integers(min_value=1, max_value=2**64 - 1)


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


span_specs = st.fixed_dictionaries(
    {
        "name": st.text(max_size=20),
        "kind": st.sampled_from(list(SpanKind)),
        "attributes": attributes,
        "events": st.lists(st.tuples(st.text(max_size=8), attributes), max_size=2),
        "links": st.lists(st.tuples(ids, ids, attributes, st.booleans()), max_size=2),
        "status": st.sampled_from(
            [Status(StatusCode.UNSET), Status(StatusCode.OK), Status(StatusCode.ERROR, "boom")]
        ),
        "parent": st.one_of(st.none(), st.tuples(ids, ids, st.booleans(), st.booleans())),
        "scope": st.sampled_from([("a", None), ("b", "1.2.3")]),
    }
)


def _make_spans(specs: list[dict[str, Any]], resource_attrs: dict[str, Any]) -> list[ReadableSpan]:
    keep = _Keep()
    provider = TracerProvider(resource=Resource.create(resource_attrs))
    provider.add_span_processor(SimpleSpanProcessor(keep))
    for spec in specs:
        tracer = provider.get_tracer(*spec["scope"])
        ctx = None
        if spec["parent"]:
            trace_id, span_id, remote, with_state = spec["parent"]
            state = TraceState([("vendor", "x1")]) if with_state else None
            parent = SpanContext(trace_id, span_id, remote, TraceFlags(1), state)
            ctx = set_span_in_context(NonRecordingSpan(parent))
        links = [
            Link(SpanContext(t, s, remote, TraceFlags(1)), attrs)
            for t, s, attrs, remote in spec["links"]
        ]
        span = tracer.start_span(
            spec["name"], context=ctx, kind=spec["kind"], attributes=spec["attributes"], links=links
        )
        for name, attrs in spec["events"]:
            span.add_event(name, attrs)
        span.set_status(spec["status"])
        span.end()
    return keep.spans


@settings(max_examples=150, deadline=None)
@given(st.lists(span_specs, min_size=1, max_size=5), attributes)
def test_wire_encoding_matches_upstream(
    specs: list[dict[str, Any]], resource: dict[str, Any]
) -> None:
    spans = _make_spans(specs, resource)
    ours = ExportTraceServiceRequest.FromString(encode_request(spans))
    assert ours == encode_spans(spans)


def test_repeated_attributes_are_cached_without_changing_output() -> None:
    spec = {
        "name": "GET /items/<int:item_id>",
        "kind": SpanKind.SERVER,
        "attributes": {"http.request.method": "GET", "http.response.status_code": 200, "x": True},
        "events": [],
        "links": [],
        "status": Status(StatusCode.UNSET),
        "parent": None,
        "scope": ("a", None),
    }
    spans = _make_spans([spec] * 3 + [{**spec, "attributes": {"x": 1}}], {"service.name": "s"})
    # True and 1 are equal and hash alike: the cache must still keep them apart.
    assert ExportTraceServiceRequest.FromString(encode_request(spans)) == encode_spans(spans)
