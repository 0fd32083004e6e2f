"""The unsampled shortcuts (flaskops_flask.w3c) give what the SDK's general path gives,
and are taken only when the SDK's defaults are in force."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from flask import Flask
from flaskops_flask.server_spans import ServerSpans
from flaskops_flask.w3c import (
    drops_unsampled,
    is_w3c_default,
    keeps_sampled,
    sampled_parent,
    unsampled_parent,
    unsampled_traceparent,
)
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tests.support.context_view import context_app, view

W3C = TraceContextTextMapPropagator()


@pytest.mark.parametrize(
    ("sampler", "drops", "keeps"),
    [
        (ParentBased(ALWAYS_ON), (True, True), (True, True)),
        (ParentBasedTraceIdRatio(0.1), (True, True), (True, True)),
        (TraceIdRatioBased(0.1), (False, False), (False, False)),
        (ALWAYS_ON, (False, False), (False, False)),
        (ParentBased(ALWAYS_ON, local_parent_not_sampled=ALWAYS_ON), (False, True), (True, True)),
        (ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON), (True, False), (True, True)),
        (ParentBased(ALWAYS_ON, local_parent_sampled=ALWAYS_OFF), (True, True), (False, True)),
        (
            ParentBased(ALWAYS_ON, remote_parent_sampled=TraceIdRatioBased(0.5)),
            (True, True),
            (True, False),
        ),
    ],
)
def test_only_samplers_whose_delegates_are_static_qualify(
    sampler: Sampler, drops: tuple[bool, bool], keeps: tuple[bool, bool]
) -> None:
    """(local, remote) parent: unsampled children always dropped / sampled ones kept."""
    assert (drops_unsampled(sampler, "local"), drops_unsampled(sampler, "remote")) == drops
    assert (keeps_sampled(sampler, "local"), keeps_sampled(sampler, "remote")) == keeps


class Custom(TraceContextTextMapPropagator):
    """A propagator that may write other headers: never taken for the default."""


@pytest.mark.parametrize(
    ("propagator", "expected"),
    [
        (CompositePropagator([W3C, W3CBaggagePropagator()]), True),
        (CompositePropagator([W3C]), True),
        (W3C, True),
        (CompositePropagator([W3CBaggagePropagator(), W3C]), False),
        (CompositePropagator([W3CBaggagePropagator()]), False),
        (CompositePropagator([]), False),
        (CompositePropagator([Custom()]), False),
        (Custom(), False),
    ],
)
def test_only_the_default_w3c_propagators_qualify(
    propagator: TextMapPropagator, expected: bool
) -> None:
    assert is_w3c_default(propagator) is expected


def test_the_propagator_the_api_builds_by_default_qualifies() -> None:
    assert "OTEL_PROPAGATORS" not in os.environ
    assert is_w3c_default(propagate._load_propagators())


def sdk_view(header: str) -> SpanContext:
    return trace.get_current_span(W3C.extract({"traceparent": header})).get_span_context()


HEX = "0123456789abcdef"


TRACEPARENTS = st.one_of(
    # well-formed, with every flag and version byte
    st.builds(
        "{}-{}-{}-{}".format,
        st.sampled_from(["00", "01", "ff", "0A"]),
        st.text(HEX, min_size=32, max_size=32),
        st.text(HEX, min_size=16, max_size=16),
        st.sampled_from(["00", "01", "02", "03", "05"]),
    ),
    st.text(HEX + "-Fx \t", max_size=60),
)


@given(TRACEPARENTS)
def test_the_shortcut_reads_a_traceparent_as_the_sdk_does(header: str) -> None:
    """Whenever the shortcut claims a header, the SDK reads the same unsampled caller from it."""
    caller = unsampled_parent(header)
    if caller is None:
        return
    trace_id, flags = caller
    parent = sdk_view(header)
    assert parent.trace_flags == flags
    assert parent.is_valid
    assert parent.is_remote
    assert parent.trace_id == trace_id
    assert not parent.trace_flags.sampled


@given(TRACEPARENTS)
def test_a_sampled_caller_is_read_as_the_sdk_reads_it(header: str) -> None:
    """Whenever sampled_parent claims a header, it is the SDK's reading of it, sampled."""
    caller = sampled_parent(header)
    if caller is None:
        assert unsampled_parent(header) is not None or not _canonical_sampled(header)
        return
    assert caller == sdk_view(header)
    assert caller.is_valid
    assert caller.is_remote
    assert caller.trace_flags.sampled


def _canonical_sampled(header: str) -> bool:
    parent = sdk_view(header)
    return (
        parent.is_valid
        and parent.trace_flags in (1, 3)
        and header == f"00-{parent.trace_id:032x}-{parent.span_id:016x}-{parent.trace_flags:02x}"
    )


@pytest.mark.parametrize(
    "header",
    [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",  # what the SDK sends
        "00-00000000000000000000000000000001-0000000000000001-00",
    ],
)
def test_the_shortcut_claims_canonical_unsampled_headers(header: str) -> None:
    assert unsampled_parent(header) == (int(header[3:35], 16), int(header[-2:], 16))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # sampled
        "00-00000000000000000000000000000000-00f067aa0ba902b7-00",  # zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-00",  # zero span id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-00",  # uppercase
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",  # whitespace
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",  # another version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",  # sampled, random id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-04",  # a flag not yet defined
    ],
)
def test_other_headers_are_left_to_the_sdk(header: str | None) -> None:
    assert unsampled_parent(header) is None


@pytest.mark.parametrize("flags", [TraceFlags.DEFAULT, TraceFlags.RANDOM_TRACE_ID])
def test_the_header_written_is_the_propagators(flags: int) -> None:
    ids = random.getrandbits(128) | 1, random.getrandbits(64) | 1
    context = SpanContext(*ids, is_remote=False, trace_flags=TraceFlags(flags))
    carrier: dict[str, str] = {}
    W3C.inject(carrier, trace.set_span_in_context(trace.NonRecordingSpan(context)))
    assert unsampled_traceparent(context) == carrier["traceparent"]


# The server side: what a view sees, with the shortcut and through the SDK.

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


@pytest.fixture
def served() -> tuple[Flask, ServerSpans, InMemorySpanExporter]:
    return context_app(TracerProvider(sampler=ParentBasedTraceIdRatio(0.1)))


@pytest.mark.parametrize(
    "headers",
    [
        {"traceparent": CALLER},
        {"traceparent": CALLER[:-2] + "02"},
        {"traceparent": CALLER, "tracestate": "vendor=abc"},
        {"traceparent": CALLER, "baggage": "tenant=acme"},
        {"traceparent": CALLER.replace("-00f0", "-0000", 1)},  # not canonical: SDK path only
    ],
)
def test_a_view_sees_the_same_context_either_way(
    served: tuple[Flask, ServerSpans, InMemorySpanExporter], headers: dict[str, str]
) -> None:
    app, middleware, exporter = served
    assert middleware.shortcut
    shortcut = view(app, headers)
    middleware.shortcut = False
    general = view(app, headers)
    assert shortcut.pop("span_id") != general.pop("span_id"), "each request gets its own span id"
    assert shortcut == general
    assert general["trace_id"] == CALLER[3:35]
    assert general["flags"] == int(headers["traceparent"][-2:], 16)
    assert not general["recording"]
    assert not general["remote"]
    assert exporter.get_finished_spans() == ()


def test_a_root_request_is_the_same_either_way(
    served: tuple[Flask, ServerSpans, InMemorySpanExporter],
) -> None:
    """Without propagation headers the context is not extracted; the sampler still decides."""
    app, middleware, _ = served
    seen = [view(app, {}) for _ in range(50)]
    middleware.w3c_propagation = lambda: False  # type: ignore[method-assign,assignment]
    seen += [view(app, {}) for _ in range(50)]
    assert len({s["trace_id"] for s in seen}) == 100, "each root request starts a trace"
    assert all(s["flags"] in (0x02, 0x03) and s["recording"] == s["flags"] & 1 for s in seen)
    assert not any(s["remote"] for s in seen)


def test_a_span_id_is_never_the_callers(
    served: tuple[Flask, ServerSpans, InMemorySpanExporter],
) -> None:
    app, _, _ = served
    assert view(app, {"traceparent": CALLER})["span_id"] != CALLER[36:52]


def test_a_sampled_caller_still_gets_a_server_span(
    served: tuple[Flask, ServerSpans, InMemorySpanExporter],
) -> None:
    app, _, exporter = served
    seen = view(app, {"traceparent": CALLER[:-2] + "01"})
    assert seen["recording"]
    (span,) = exporter.get_finished_spans()
    assert span.parent is not None
    assert span.parent.span_id == int(CALLER[36:52], 16)


class Counting(TraceContextTextMapPropagator):
    def __init__(self) -> None:
        self.extracted = 0

    def extract(self, *args: Any, **kwargs: Any) -> Any:
        self.extracted += 1
        return super().extract(*args, **kwargs)


def test_a_propagator_set_later_is_used(
    served: tuple[Flask, ServerSpans, InMemorySpanExporter],
) -> None:
    app, _, _ = served
    before = propagate.get_global_textmap()
    counting = Counting()
    propagate.set_global_textmap(counting)
    try:
        seen = view(app, {"traceparent": CALLER})
    finally:
        propagate.set_global_textmap(before)
    assert counting.extracted == 1
    assert seen["trace_id"] == CALLER[3:35]


def test_without_a_parentbased_sampler_there_is_no_shortcut() -> None:
    app = Flask("w3c")
    middleware = ServerSpans(app, TracerProvider(sampler=ALWAYS_ON), ())
    assert not middleware.shortcut


def test_the_sdk_counting_its_spans_turns_the_shortcut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", " True ")
    middleware = ServerSpans(Flask("w3c"), TracerProvider(sampler=ParentBased(ALWAYS_ON)), ())
    assert not middleware.shortcut
