"""Root requests the sampler will drop, decided without the SDK's general path.

A request that arrives with no propagation header starts a trace. Under the chart's
default sampler (`parentbased_traceidratio`) the decision for such a root depends on the
new trace id alone: it is sampled when the id's low 64 bits fall under the ratio's bound.
For the nine requests in ten that are dropped, the SDK's `start_span` (tracer checks,
sampler objects, a SamplingResult, span counting) only ever ends in a non-recording span
with a fresh span id in that trace. So the server wrapper draws the trace id itself and:

- when the sampler would drop it, makes that non-recording span (flags: not sampled,
  random trace id, as the SDK sets them for the ids RandomIdGenerator makes);
- when the sampler would sample it, hands the id over to the SDK through the provider's
  id generator, so `start_span` makes the recording span with that very id: the sampled
  fraction, and every sampled id's relation to the bound, stay the SDK's own.

It is taken only while that holds: the provider's id generator is `RootIds` (which
`make_provider` installs; it is the SDK's RandomIdGenerator plus the hand-over), and its
sampler is a ParentBased one whose root is the SDK's TraceIdRatioBased at a rate under 1
or the static always-off sampler. The server wrapper adds the conditions it shares with
flaskops.flask.w3c (default W3C propagators, the SDK not counting its own spans).
"""

from __future__ import annotations

import threading

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    StaticSampler,
    TraceIdRatioBased,
)

# TraceIdRatioBased compares the low 64 bits of the trace id with its bound.
LOW_BITS = TraceIdRatioBased.TRACE_ID_LIMIT


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
    sampler decides roots on the id alone and may drop them; None otherwise."""
    if not isinstance(sampler, ParentBased):
        return None
    # The SDK keeps the root delegate private; without it nothing is assumed.
    root = getattr(sampler, "_root", None)
    if type(root) is TraceIdRatioBased and root.bound <= LOW_BITS:
        return root.bound
    if isinstance(root, StaticSampler) and root._decision is Decision.DROP:
        return 0
    return None
