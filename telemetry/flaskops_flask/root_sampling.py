"""Root requests decided without the SDK's general path.

A request that arrives with no propagation header starts a trace. Under the chart's
default sampler (`parentbased_traceidratio`) the decision for such a root depends on the
new trace id alone: it is sampled when the id's low 64 bits fall under the ratio's bound
(under `parentbased_always_on`, the SDK's default, every id is). For the nine requests in
ten that are dropped, the SDK's `start_span` (tracer checks, sampler objects, a
SamplingResult, span counting) only ever ends in a non-recording span with a fresh span id
in that trace. So the server wrapper draws the trace id itself and:

- when the sampler would drop it, makes that non-recording span (flags: not sampled,
  random trace id, as the SDK sets them for the ids RandomIdGenerator makes);
- when the sampler would sample it, starts the recording span with that id
  (flaskops_flask.recording_span), or, where that does not apply, hands the id over to
  the SDK through the provider's id generator, so `start_span` makes the recording span
  with that very id. Either way the sampled fraction, and every sampled id's relation to
  the bound, stay the SDK's own.

It is taken only while that holds (`RootDecisions.for_provider`): the provider's id
generator is `RootIds` (which `make_provider` installs; it is the SDK's RandomIdGenerator
plus the hand-over), its sampler is a ParentBased one whose root is the SDK's
TraceIdRatioBased or one of its static samplers, and the SDK is not counting its own
spans. The server wrapper adds the W3C conditions of flaskops_flask.w3c.
"""

from __future__ import annotations

import threading

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    StaticSampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import TraceFlags

from flaskops_flask.w3c import sdk_counts_spans

# TraceIdRatioBased compares the low 64 bits of the trace id with its bound.
LOW_BITS = TraceIdRatioBased.TRACE_ID_LIMIT
# What the SDK sets on a dropped root: not sampled, and the id is random (RandomIdGenerator).
DROPPED_ROOT_FLAGS = TraceFlags(TraceFlags.RANDOM_TRACE_ID)


class RootIds(RandomIdGenerator):
    """The SDK's random ids; a trace id drawn ahead by `draw` and handed over with
    `hand_over` is what the next `generate_trace_id` on the same thread returns."""

    def __init__(self) -> None:
        self._ahead = threading.local()

    def draw(self) -> int:
        return super().generate_trace_id()

    def hand_over(self, trace_id: int | None) -> None:
        """Set (or, with None, clear) the id the next root span on this thread gets."""
        self._ahead.trace_id = trace_id

    def generate_trace_id(self) -> int:
        trace_id: int | None = getattr(self._ahead, "trace_id", None)
        if trace_id is None:
            return super().generate_trace_id()
        self._ahead.trace_id = None
        return trace_id


def root_bound(sampler: Sampler) -> int | None:
    """The bound a root trace id's low 64 bits must stay under to be sampled, when the
    sampler decides roots on the id alone; None otherwise. Above LOW_BITS: all are."""
    if not isinstance(sampler, ParentBased):
        return None
    # The SDK keeps the root delegate private; without it nothing is assumed.
    root = getattr(sampler, "_root", None)
    if type(root) is TraceIdRatioBased:
        return root.bound
    if isinstance(root, StaticSampler):
        return 0 if root._decision is Decision.DROP else LOW_BITS + 1
    return None


class RootDecisions:
    """Root sampling decisions taken ahead of `start_span`, for a provider that qualifies."""

    def __init__(self, ids: RootIds, bound: int) -> None:
        self.ids = ids
        self.bound = bound

    @classmethod
    def for_provider(cls, provider: TracerProvider) -> RootDecisions | None:
        ids, bound = provider.id_generator, root_bound(provider.sampler)
        if isinstance(ids, RootIds) and bound is not None and not sdk_counts_spans():
            return cls(ids, bound)
        return None

    def draw(self) -> tuple[int, bool]:
        """A root's trace id, and whether the sampler keeps it."""
        trace_id = self.ids.draw()
        return trace_id, trace_id & LOW_BITS < self.bound

    def hand_over(self, trace_id: int) -> None:
        """The id the next `start_span` on this thread takes (see `clear`)."""
        self.ids.hand_over(trace_id)

    def clear(self) -> None:
        """After start_span: it consumed the id, unless it returned before drawing one."""
        self.ids.hand_over(None)
