"""Outgoing `requests` calls: RequestsInstrumentor for every call that can record a span, a
short path for the calls that cannot.

Why: under the chart's default sampler (parent-based, 10% of roots) nine requests in ten
are unsampled, and a child of an unsampled span is dropped by the sampler. For such a call
opentelemetry-instrumentation-requests still sanitises and parses the URL, builds the span
and metric attribute sets, classifies the user agent, starts a non-recording span through a
context manager, patches the next connection for the peer address and records two duration
metrics into a no-op meter: ~100 us of CPU per call in docs/benchmarks.md, about a tenth of
what orders spends on its whole call to catalog. All the call needs is the W3C
`traceparent` (flags 00) so that the next service follows the same decision and its log
lines carry the same trace_id.

So, when the provider's sampler is parent-based and drops children of unsampled local
parents (every `parentbased_*` sampler of the SDK does, unless configured otherwise), a
call made while an unsampled span is current gets that header injected and goes straight
to the uninstrumented `Session.send`. Every other call (sampled parent, no parent,
instrumentation suppressed) goes through RequestsInstrumentor unchanged.
`FLASKOPS_TRACING_MIDDLEWARE=opentelemetry` keeps the plain RequestsInstrumentor.
"""

from __future__ import annotations

import functools
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, StaticSampler
from requests import PreparedRequest, Session
from requests.structures import CaseInsensitiveDict

_MARK = "flaskops_unsampled_fast_path"


def drops_unsampled_children(sampler: Sampler) -> bool:
    """True when `sampler` always drops a span whose local parent is not sampled."""
    if not isinstance(sampler, ParentBased):
        return False
    # The SDK keeps the delegates private; a sampler without them is not assumed to drop.
    delegate = getattr(sampler, "_local_parent_not_sampled", None)
    return isinstance(delegate, StaticSampler) and delegate._decision is Decision.DROP


def install_unsampled_fast_path(provider: TracerProvider) -> bool:
    """Wrap the instrumented `Session.send`; returns False (and changes nothing) when the
    sampler might record such children or RequestsInstrumentor is not in place."""
    instrumented = Session.send
    if getattr(instrumented, _MARK, False):
        return True
    original = getattr(instrumented, "__wrapped__", None)
    if original is None or not drops_unsampled_children(provider.sampler):
        return False

    def send(self: Session, request: PreparedRequest, **kwargs: Any) -> Any:
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid and not ctx.trace_flags.sampled:
            if request.headers is None:  # as RequestsInstrumentor guards it
                request.headers = CaseInsensitiveDict()
            inject(request.headers)
            return original(self, request, **kwargs)
        return instrumented(self, request, **kwargs)

    functools.update_wrapper(send, instrumented)
    # RequestsInstrumentor.uninstrument() restores `__wrapped__`: make that the original
    # send, so uninstrumenting removes both wrappers.
    send.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(send, _MARK, True)
    Session.send = send  # type: ignore[method-assign]
    return True
