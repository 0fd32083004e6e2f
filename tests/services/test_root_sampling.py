"""The root shortcut (flaskops_flask.root_sampling) decides as the SDK's sampler does, gives
a sampled root the very id it decided on, and is taken only when that holds."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from flask import Flask
from flaskops_flask.root_sampling import LOW_BITS, RootIds, root_bound
from flaskops_flask.server_spans import ServerSpans
from flaskops_flask.tracing import make_provider
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)

from tests.support.context_view import context_app, view

RATE = 0.1


class OwnRatio(TraceIdRatioBased):
    """A subclass may decide otherwise: never assumed to be the SDK's rule."""


@pytest.mark.parametrize(
    ("sampler", "bound"),
    [
        (ParentBasedTraceIdRatio(RATE), TraceIdRatioBased.get_bound_for_rate(RATE)),
        (ParentBased(TraceIdRatioBased(0.0)), 0),
        (ParentBased(ALWAYS_OFF), 0),
        (ParentBasedTraceIdRatio(1.0), LOW_BITS + 1),  # every root sampled
        (ParentBased(ALWAYS_ON), LOW_BITS + 1),
        (ParentBased(OwnRatio(RATE)), None),
        (TraceIdRatioBased(RATE), None),
        (ALWAYS_OFF, None),
    ],
)
def test_only_roots_decided_on_the_id_alone_qualify(sampler: Sampler, bound: int | None) -> None:
    assert root_bound(sampler) == bound


@given(st.integers(min_value=1, max_value=(1 << 128) - 1), st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_the_decision_is_the_samplers(trace_id: int, rate: float) -> None:
    sampler = ParentBasedTraceIdRatio(rate)
    bound = root_bound(sampler)
    assert bound is not None
    sdk = sampler.should_sample(None, trace_id, "GET").decision
    assert (trace_id & LOW_BITS < bound) is (sdk is Decision.RECORD_AND_SAMPLE)


def test_a_handed_over_id_is_used_once_and_only_on_its_thread() -> None:
    ids = RootIds()
    ids.hand_over(42)
    elsewhere: list[int] = []
    worker = threading.Thread(target=lambda: elsewhere.append(ids.generate_trace_id()))
    worker.start()
    worker.join()
    assert elsewhere[0] != 42
    assert ids.generate_trace_id() == 42
    assert ids.generate_trace_id() != 42
    ids.hand_over(7)
    ids.hand_over(None)
    assert ids.generate_trace_id() != 7


def seeded_view(app: Flask, seed: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    # Both paths draw the trace id, then the span id, from `random`: seeded alike, they
    # must give the same ids, so the comparison covers the ids and not only their form.
    random.seed(seed)
    return view(app, headers)


def test_a_root_request_gets_what_the_sdk_gives_it() -> None:
    app, middleware, exporter = context_app(
        TracerProvider(sampler=ParentBasedTraceIdRatio(RATE), id_generator=RootIds())
    )
    assert middleware.roots is not None
    shortcut = [seeded_view(app, seed) for seed in range(300)]
    exported = {f"{span.context.trace_id:032x}": span for span in exporter.get_finished_spans()}
    middleware.roots = None
    exporter.clear()
    general = [seeded_view(app, seed) for seed in range(300)]
    assert shortcut == general
    sampled = [seen for seen in general if seen["recording"]]
    assert 10 <= len(sampled) <= 60, "about one in ten roots is sampled"
    assert {seen["flags"] for seen in general} == {0x02, 0x03}
    assert all(seen["flags"] & 1 == seen["recording"] for seen in general)
    assert not any(seen["remote"] for seen in general)
    # Each sampled root was exported once, under the id that decided it, with no parent.
    assert set(exported) == {seen["trace_id"] for seen in sampled}
    assert all(span.parent is None for span in exported.values())
    bound = TraceIdRatioBased.get_bound_for_rate(RATE)
    assert all(int(seen["trace_id"], 16) & LOW_BITS < bound for seen in sampled)


def test_baggage_without_a_traceparent_takes_the_sdks_path() -> None:
    app, middleware, _ = context_app(
        TracerProvider(sampler=ParentBased(ALWAYS_OFF), id_generator=RootIds())
    )
    assert middleware.roots is not None
    seen = seeded_view(app, 1, {"baggage": "tenant=acme"})
    assert seen["baggage"] == {"tenant": "acme"}
    assert not seen["recording"]


@pytest.mark.parametrize(
    "provider",
    [
        TracerProvider(sampler=ParentBasedTraceIdRatio(RATE)),  # the SDK's own id generator
        TracerProvider(sampler=ParentBased(OwnRatio(RATE)), id_generator=RootIds()),
    ],
)
def test_no_shortcut_unless_the_provider_qualifies(provider: TracerProvider) -> None:
    assert ServerSpans(Flask("roots"), provider, ()).roots is None


def test_the_sdk_counting_its_spans_turns_the_shortcut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
    provider = TracerProvider(sampler=ParentBasedTraceIdRatio(RATE), id_generator=RootIds())
    assert ServerSpans(Flask("roots"), provider, ()).roots is None


def test_the_kits_provider_qualifies(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the chart sets by default; the SDK reads the sampler from the environment.
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")
    provider = make_provider("roots", "1", {"OTEL_TRACES_EXPORTER": "none"})
    assert isinstance(provider.id_generator, RootIds)
    assert ServerSpans(Flask("roots"), provider, ()).roots is not None
