"""The SDK's span for a request the sampler keeps, without the work it rarely uses.

On the trivial endpoint at 100% sampling the SDK's recording span is half of what tracing
costs (docs/benchmarks.md, item 21): `start_span` asks the sampler, then the span
allocates four locks, a BoundedAttributes that type-checks every attribute, two
BoundedLists for events and links, and at the end copies itself into a ReadableSpan for
the processors. A server span that the kit starts itself, with attributes it builds from
the WSGI environ, needs almost none of that: its attributes are known strings and ints,
it has no links, and events (an exception) are rare.

`RecordingSpan` *is* the SDK's span (a subclass, so processors, exporters and anything
that checks `isinstance(span, opentelemetry.sdk.trace.Span)` see what they expect), built
for the cases where the outcome of `start_span` is known without asking: a root request
whose trace id the sampler keeps (flaskops_flask.root_sampling decides it from the id,
as the SDK's sampler would), and a request under a sampled caller, which every
`parentbased_*` sampler keeps (flaskops_flask.w3c, under its W3C conditions). What it
leaves out, it creates on first use:

- attributes stay a plain dict while only the kit sets them (`describe`); the first
  `set_attribute`/`set_attributes` from anyone else turns them into the SDK's
  BoundedAttributes, with its limits and type cleaning, and goes through the SDK's code;
- events and links get their BoundedLists on the first `add_event`/`add_link`;
- at the end the span hands itself to the processors instead of a copy: it is ended, and
  every mutator of the SDK's span refuses an ended span.

Everything else (status, names, exceptions, `__exit__`, `start`) is the SDK's own code.
Taken only while the span limits allow the kit's attributes as they are (the
`qualifies` check); otherwise, and for every other request, the SDK's `start_span`.
tests/services/test_recording_span.py compares both ways, span for span.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from time import time_ns
from typing import Any

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Span, SpanLimits, Tracer
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util import types

# A sampled root: sampled, and the id is random (RootIds is the SDK's RandomIdGenerator).
SAMPLED_ROOT_FLAGS = TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID)
_UNSET = Status(StatusCode.UNSET)
_ERROR = Status(StatusCode.ERROR)
# The SDK's span logs its warnings here; so does this one, for the same misuse.
_sdk_log = logging.getLogger("opentelemetry.sdk.trace")
# The most attributes the server wrapper sets (server_spans: 6 with error.type).
KIT_ATTRIBUTES = 6


def qualifies(limits: SpanLimits) -> bool:
    """The kit's attributes fit the limits untouched: no truncation, nothing dropped."""
    count = limits.max_span_attributes
    return limits.max_span_attribute_length is None and (count is None or count >= KIT_ATTRIBUTES)


class RecordingSpan(Span):
    """A SERVER span the sampler is known to keep; the module docstring says what differs
    from the SDK's own construction, and why."""

    def __init__(
        self,
        tracer: Tracer,
        limits: SpanLimits,
        name: str,
        span_context: SpanContext,
        parent: SpanContext | None,
        attributes: dict[str, str | int],
    ) -> None:
        # The fields of the SDK's Span and ReadableSpan, as its __init__ would set them for
        # a SERVER span with no links or events (test_recording_span compares them).
        self._name = name
        self._context = span_context
        self._kind = SpanKind.SERVER
        self._instrumentation_info = tracer.instrumentation_info
        self._instrumentation_scope = tracer._instrumentation_scope
        self._parent = parent
        self._start_time: int | None = None
        self._end_time: int | None = None
        self._attributes: Any = attributes
        self._events: Any = ()
        self._links: Any = ()
        self._resource = tracer.resource
        self._status = _UNSET
        self._sampler = tracer.sampler
        self._trace_config = None
        self._record_exception = True
        self._set_status_on_exception = True
        self._span_processor = tracer.span_processor
        self._limits = limits
        self._lock = threading.Lock()
        self._record_end_metrics = None

    def describe(self, name: str | None, attributes: Mapping[str, str | int], error: bool) -> None:
        """What the server wrapper learns from the response: the span's name (route),
        attributes the kit builds (known strings and ints) and whether it failed."""
        if self._end_time is not None:
            return
        if name is not None:
            self._name = name
        if error and self._status.status_code is not StatusCode.OK:
            self._status = _ERROR  # as set_status: an OK set by the app is kept
        if type(self._attributes) is dict:
            self._attributes.update(attributes)
        else:
            self.set_attributes(attributes)

    def _bounded(self) -> None:
        # Before the SDK's set_attribute(s), which take the lock themselves (not reentrant).
        with self._lock:
            if type(self._attributes) is dict and self._end_time is None:
                self._attributes = BoundedAttributes(
                    self._limits.max_span_attributes,
                    self._attributes,
                    immutable=False,
                    max_value_len=self._limits.max_span_attribute_length,
                )

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        self._bounded()
        super().set_attributes(attributes)

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        self._bounded()
        super().set_attribute(key, value)

    # Called by the SDK's add_event/add_link (and record_exception); the SDK's own version,
    # called last, checks under the lock that the span has not ended.
    def _add_event(self, event: Any) -> None:
        if type(self._events) is tuple:
            self._events = BoundedList(self._limits.max_events)
        super()._add_event(event)

    def _add_link(self, link: trace.Link) -> None:
        if type(self._links) is tuple:
            self._links = BoundedList(self._limits.max_links)
        super()._add_link(link)

    def end(self, end_time: int | None = None) -> None:
        # The SDK's end, minus the span metrics (off when this span is used) and the copy.
        with self._lock:
            if self._start_time is None:
                raise RuntimeError("Calling end() on a not started span.")
            ended = self._end_time is not None
            if not ended:
                self._end_time = end_time if end_time is not None else time_ns()
                if type(self._attributes) is not dict:
                    self._attributes._immutable = True
        if ended:
            _sdk_log.warning("Calling end() on an ended span.")
            return
        self._span_processor._on_ending(self)
        self._span_processor.on_end(self)
