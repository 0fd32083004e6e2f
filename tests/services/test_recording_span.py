"""A sampled root's span (flaskops_flask.recording_span) is what the SDK's start_span
makes, field for field, through everything an app can do to its current span."""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest
from flask import Flask, abort
from flaskops_flask.recording_span import SAMPLED_ROOT_FLAGS, RecordingSpan
from flaskops_flask.root_sampling import RootIds
from flaskops_flask.server_spans import ServerSpans
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
)
from opentelemetry.trace import Status, StatusCode


class Seen(SpanProcessor):
    """What processors are handed: the started span, and the ended one."""

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.ended: list[ReadableSpan] = []

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        self.started.append(span)
        span.set_attribute("processor.saw", "start")  # as a processor adding context does

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def traced_app(
    sampler: Any = None, limits: SpanLimits | None = None
) -> tuple[Flask, ServerSpans, InMemorySpanExporter, Seen]:
    provider = TracerProvider(
        sampler=sampler or ParentBased(ALWAYS_ON), id_generator=RootIds(), span_limits=limits
    )
    seen, exporter = Seen(), InMemorySpanExporter()
    provider.add_span_processor(seen)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Flask("recorded")

    @app.get("/items/<int:item>")
    def item(item: int) -> dict[str, int]:
        span = trace.get_current_span()
        span.set_attribute("app.item", item)
        span.set_attributes({"app.tags": ["a", "b"], "app.ratio": 0.5})
        span.add_event("looked up", {"app.item": item})
        span.add_event("served")
        return {"item": item}

    @app.get("/ok-then-fail")
    def ok_then_fail() -> tuple[str, int]:
        trace.get_current_span().set_status(Status(StatusCode.OK))
        return "kept ok", 503

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/gone")
    def gone() -> str:
        abort(410)

    @app.get("/renamed")
    def renamed() -> str:
        span = trace.get_current_span()
        span.update_name("custom name")
        span.add_link(trace.SpanContext(1, 2, True), {"app.link": True})
        return "ok"

    return app, ServerSpans(app, provider, ()), exporter, seen


PATHS = ["/items/3", "/ok-then-fail", "/boom", "/gone", "/renamed", "/nowhere"]


def exported(span: ReadableSpan) -> dict[str, Any]:
    """Everything an exporter reads from a span, timestamps aside."""
    return {
        "name": span.name,
        "context": span.get_span_context(),
        "parent": span.parent,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
        "events": [
            (e.name, {k: v for k, v in (e.attributes or {}).items() if k != "exception.stacktrace"})
            for e in span.events
        ],
        "links": [(link.context, dict(link.attributes or {})) for link in span.links],
        "status": (span.status.status_code, span.status.description),
        "resource": span.resource,
        "scope": span.instrumentation_scope,
        "timed": 0 < (span.start_time or 0) <= (span.end_time or 0),
    }


def run(
    app: Flask, middleware: ServerSpans, lean: bool, headers: dict[str, str] | None = None
) -> list[int]:
    limits = middleware.limits
    middleware.limits = limits if lean else None
    random.seed(7)  # both ways draw the trace id, then the span id, from `random`
    client = app.test_client()
    try:
        return [client.get(path, headers=headers or {}).status_code for path in PATHS]
    finally:
        middleware.limits = limits


@pytest.mark.parametrize(
    "limits",
    [
        None,
        # Room for the kit's six, not for what the app and the processor add: the SDK
        # drops the oldest, and counts them.
        SpanLimits(max_span_attributes=7),
        SpanLimits(max_events=0, max_links=0),
    ],
)
def test_a_sampled_root_is_the_span_the_sdk_makes(limits: SpanLimits | None) -> None:
    app, middleware, exporter, seen = traced_app(limits=limits)
    assert middleware.limits is not None, "these limits qualify"
    statuses = run(app, middleware, lean=True)
    lean = [exported(span) for span in exporter.get_finished_spans()]
    assert all(type(span) is RecordingSpan for span in seen.started)
    exporter.clear()
    seen.started.clear()
    assert run(app, middleware, lean=False) == statuses == [200, 503, 500, 410, 200, 404]
    sdk = [exported(span) for span in exporter.get_finished_spans()]
    assert not any(type(span) is RecordingSpan for span in seen.started)
    assert lean == sdk
    # What the comparison covered, so that it cannot pass on empty spans.
    by_name = {span["name"]: span for span in sdk}
    assert by_name["GET /ok-then-fail"]["status"][0] is StatusCode.OK
    assert by_name["GET /boom"]["status"][0] is StatusCode.ERROR
    assert by_name["GET"]["attributes"]["http.response.status_code"] == 404
    items, boom, renamed = (by_name[f"GET {r}"] for r in ("/items/<int:item>", "/boom", "/renamed"))
    if limits is None:
        assert items["attributes"]["app.tags"] == ("a", "b")
        assert items["attributes"]["processor.saw"] == "start"
        assert boom["events"][0][0] == "exception"
        assert renamed["links"]
    elif limits.max_events == 0:
        assert items["dropped"] == (0, 2, 0)
        assert boom["dropped"] == (0, 1, 0)
        assert renamed["dropped"] == (0, 0, 1)
    else:
        assert len(items["attributes"]) == 7
        assert items["dropped"][0] > 0


CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{}"


@pytest.mark.parametrize("flags", ["01", "03"])
def test_a_request_under_a_sampled_caller_gets_the_sdks_span(flags: str) -> None:
    app, middleware, exporter, seen = traced_app(sampler=ParentBasedTraceIdRatio(0.0))
    assert middleware.sampled_callers, "parent-based: a sampled caller's children are kept"
    headers = {"traceparent": CALLER.format(flags)}
    statuses = run(app, middleware, lean=True, headers=headers)
    lean = [exported(span) for span in exporter.get_finished_spans()]
    assert all(type(span) is RecordingSpan for span in seen.started)
    assert len(seen.started) == len(PATHS)
    exporter.clear()
    seen.started.clear()
    assert run(app, middleware, lean=False, headers=headers) == statuses
    assert not any(type(span) is RecordingSpan for span in seen.started)
    sdk = [exported(span) for span in exporter.get_finished_spans()]
    assert lean == sdk
    caller = sdk[0]["parent"]
    assert caller.is_remote
    assert caller.span_id == 0x00F067AA0BA902B7
    assert all(span["context"].trace_id == caller.trace_id for span in sdk)
    assert all(int(span["context"].trace_flags) == int(flags, 16) for span in sdk)


@pytest.mark.parametrize(
    ("headers", "read_by_the_sdk"),
    [
        ({"traceparent": CALLER.format("01"), "tracestate": "vendor=1"}, True),
        ({"traceparent": CALLER.format("01"), "baggage": "tenant=acme"}, True),
        # Not the canonical form: whatever the SDK's propagator makes of it, it decides.
        ({"traceparent": CALLER.format("01").upper()}, False),
        ({"traceparent": "01" + CALLER.format("01")[2:]}, True),
    ],
)
def test_callers_with_more_to_carry_take_the_sdks_path(
    headers: dict[str, str], read_by_the_sdk: bool
) -> None:
    app, _, exporter, seen = traced_app()
    assert app.test_client().get("/items/1", headers=headers).status_code == 200
    assert not any(type(span) is RecordingSpan for span in seen.started)
    (span,) = exporter.get_finished_spans()
    assert (span.parent is not None) is read_by_the_sdk


def test_a_sampler_that_may_drop_sampled_callers_is_asked() -> None:
    app, middleware, exporter, seen = traced_app(
        sampler=ParentBased(ALWAYS_ON, remote_parent_sampled=ALWAYS_OFF)
    )
    assert not middleware.sampled_callers
    headers = {"traceparent": CALLER.format("01")}
    assert app.test_client().get("/items/1", headers=headers).status_code == 200
    assert seen.started == [], "the sampler's delegate dropped it"
    assert exporter.get_finished_spans() == ()


def test_it_has_every_field_of_the_sdks_span() -> None:
    # The SDK's own methods (status, events, exceptions, __exit__) run on this span: it
    # must carry every field the SDK's __init__ sets, whatever version is installed.
    provider = TracerProvider(id_generator=RootIds())
    sdk_span = provider.get_tracer("t").start_span("GET", kind=trace.SpanKind.SERVER)
    app, _middleware, _, seen = traced_app()
    app.test_client().get("/items/1")
    assert set(vars(seen.started[0])) == set(vars(sdk_span))
    assert isinstance(seen.started[0], Span)


def test_an_ended_span_changes_no_more(caplog: pytest.LogCaptureFixture) -> None:
    _, middleware, _, seen = traced_app()
    assert middleware.limits is not None
    tracer: Any = middleware.tracer
    span_context = trace.SpanContext(5, 6, False, SAMPLED_ROOT_FLAGS)
    span = RecordingSpan(tracer, middleware.limits, "GET", span_context, None, {"url.path": "/"})
    span.start(parent_context=Context())
    span.end()
    with caplog.at_level(logging.WARNING, logger="opentelemetry.sdk.trace"):
        span.set_attribute("late", 1)
        span.describe("GET /late", {"late": 2}, error=True)
        span.add_event("late")
        span.set_status(Status(StatusCode.ERROR))
        span.end()
    ended = seen.ended[-1]
    assert ended.name == "GET"
    assert dict(ended.attributes or {}) == {"url.path": "/", "processor.saw": "start"}
    assert ended.events == ()
    assert ended.status.status_code is StatusCode.UNSET
    assert "Calling end() on an ended span." in caplog.text


@pytest.mark.parametrize(
    "limits",
    [SpanLimits(max_span_attributes=4), SpanLimits(max_span_attribute_length=8)],
)
def test_limits_that_would_cut_the_kits_attributes_take_the_sdks_path(limits: SpanLimits) -> None:
    app, middleware, exporter, seen = traced_app(limits=limits)
    assert middleware.limits is None
    app.test_client().get("/items/12345678901")
    assert not any(type(span) is RecordingSpan for span in seen.started)
    assert exporter.get_finished_spans(), "recorded by the SDK instead"


def test_roots_the_sampler_drops_record_nothing() -> None:
    app, _, exporter, seen = traced_app(sampler=ParentBasedTraceIdRatio(0.0))
    assert app.test_client().get("/items/1").status_code == 200
    assert seen.started == []
    assert exporter.get_finished_spans() == ()
