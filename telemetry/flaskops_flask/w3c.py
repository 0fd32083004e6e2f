"""Shortcuts for unsampled requests, taken only while the SDK's defaults are in force.

At the chart's default sampling (`parentbased_traceidratio`, 0.1) nine requests in ten are
not sampled, and for those the SDK's general path (the configured propagators' extract,
the sampler behind `start_span`, the propagators' inject) ends in an outcome that is known
from the `traceparent` header alone: a non-recording span in the caller's trace, and the
same trace passed on, still not sampled. That general path was most of what tracing
added to catalog's unsampled requests (docs/benchmarks.md, item 15), so the server and
client wrappers compute the outcome directly when, and only when:

- the global propagator is the API's default W3C one (`tracecontext,baggage`, or
  `tracecontext` alone), checked against whatever is global at the time of the call;
- the sampler is one of the SDK's `parentbased_*` samplers, whose delegates for an
  unsampled parent drop (checked once, the provider's sampler cannot change);
- the request carries nothing the shortcut would have to carry on: no `tracestate`, no
  `baggage`, and a `traceparent` in the canonical version-00 form, not sampled;
- the SDK is not counting its own spans (OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED), which
  would miss the ones made here.

Anything else takes the SDK's path, so the result is the same either way; tests compare
the two.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagate import get_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.environment_variables import OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, StaticSampler
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Version 00, lowercase hex, flags 00 or 02 (not sampled; 02 is W3C level 2's "random
# trace id", which the SDK sets on the ids it generates): the form W3C tracers send. Other
# forms (whitespace, future versions, other flags) are left to the SDK's propagator.
_UNSAMPLED_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-[0-9a-f]{16}-0([02])")
_SAMPLED_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-0([13])")
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_SAMPLED_RANDOM = TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID)
_NO_FLAGS = TraceFlags(TraceFlags.DEFAULT)
_RANDOM_ID = TraceFlags(TraceFlags.RANDOM_TRACE_ID)
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16
_W3C_DEFAULTS = (
    (TraceContextTextMapPropagator, W3CBaggagePropagator),
    (TraceContextTextMapPropagator,),
)


def sdk_counts_spans() -> bool:
    # As the SDK reads it when it creates a tracer: "true", any case, around whitespace.
    return os.environ.get(OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED, "").strip().lower() == "true"


def is_w3c_default(propagator: TextMapPropagator) -> bool:
    """True for the propagator the API builds from an unset OTEL_PROPAGATORS (or from
    `tracecontext,baggage` / `tracecontext`), and for a bare TraceContext propagator."""
    if type(propagator) is TraceContextTextMapPropagator:
        return True
    if type(propagator) is not CompositePropagator:
        return False
    # The composite keeps its list private; without it nothing is assumed.
    inner = getattr(propagator, "_propagators", None)
    return inner is not None and tuple(type(p) for p in inner) in _W3C_DEFAULTS


class W3CPropagation:
    """Whether the global propagator is the W3C default, checked again only when another
    one is set (set_global_textmap may be called at any time)."""

    def __init__(self) -> None:
        self._propagator: TextMapPropagator | None = None
        self._default = False

    def __call__(self) -> bool:
        propagator = get_global_textmap()
        if propagator is not self._propagator:
            self._propagator, self._default = propagator, is_w3c_default(propagator)
        return self._default


def drops_unsampled(sampler: Sampler, parent: Literal["local", "remote"]) -> bool:
    """True when `sampler` always drops a span whose (local or remote) parent is not
    sampled: every `parentbased_*` sampler of the SDK, unless built with other delegates."""
    return _delegate_decides(sampler, f"_{parent}_parent_not_sampled", Decision.DROP)


def keeps_sampled(sampler: Sampler, parent: Literal["local", "remote"]) -> bool:
    """True when `sampler` always records and samples a span whose (local or remote)
    parent is sampled: every `parentbased_*` sampler of the SDK, unless built otherwise."""
    return _delegate_decides(sampler, f"_{parent}_parent_sampled", Decision.RECORD_AND_SAMPLE)


def _delegate_decides(sampler: Sampler, delegate_name: str, decision: Decision) -> bool:
    if not isinstance(sampler, ParentBased):
        return False
    # The SDK keeps the delegates private; a sampler without them is not assumed to decide.
    delegate = getattr(sampler, delegate_name, None)
    return isinstance(delegate, StaticSampler) and delegate._decision is decision


def unsampled_parent(traceparent: str | None) -> tuple[int, TraceFlags] | None:
    """Trace id and flags of a canonical version-00 `traceparent` that is not sampled;
    None for any other header (absent, sampled, malformed or unusual), which the SDK then
    handles. A child span keeps the flags, as the SDK's `start_span` does."""
    if traceparent is None or len(traceparent) != 55:
        return None
    match = _UNSAMPLED_TRACEPARENT.fullmatch(traceparent)
    if match is None or match[1] == _ZERO_TRACE_ID or traceparent[36:52] == _ZERO_SPAN_ID:
        return None
    return int(match[1], 16), _RANDOM_ID if match[2] == "2" else _NO_FLAGS


def sampled_parent(traceparent: str | None) -> SpanContext | None:
    """The remote parent a canonical version-00 `traceparent` that is sampled (flags 01,
    or 03 with W3C level 2's random bit) names, as the SDK's propagator reads it; None for
    any other header, which the SDK then handles."""
    if traceparent is None or len(traceparent) != 55:
        return None
    match = _SAMPLED_TRACEPARENT.fullmatch(traceparent)
    if match is None or match[1] == _ZERO_TRACE_ID or match[2] == _ZERO_SPAN_ID:
        return None
    flags = _SAMPLED_RANDOM if match[3] == "3" else _SAMPLED
    return SpanContext(int(match[1], 16), int(match[2], 16), True, flags)


def unsampled_traceparent(span_context: SpanContext) -> str:
    """What TraceContextTextMapPropagator.inject writes for an unsampled span context."""
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{span_context.trace_flags:02x}"
