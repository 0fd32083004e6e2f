"""One SERVER span per Flask request, with only the work a request needs.

Why not opentelemetry-instrumentation-flask by default: profiling it on the reference
services (docs/benchmarks.md) showed ~150 us of CPU per request *whether or not the
request is sampled*: it collects the full attribute set twice, rebuilds the full URL three
times for its exclusion list, parses attributes for duration metrics and attaches an
SQL-commenter context. At the chart's default 10% sampling nine requests in ten pay all of
that for a span nobody keeps. This middleware asks the sampler first (through the SDK's
normal `start_span`) and builds attributes only for spans that record; W3C context is
still extracted and made current on every request, so logs carry trace ids and outgoing
calls propagate the (unsampled) trace; under an unsampled caller, with the SDK's default
propagators and sampler, that context is computed from the `traceparent` header directly
(flaskops_flask.w3c), and a root request the sampler will drop gets its non-recording
span without the SDK's general path either (flaskops_flask.root_sampling). A request the
sampler is known to keep (a kept root, or one under a sampled caller) gets the SDK's span
built directly, without the parts of it a server span rarely uses
(flaskops_flask.recording_span).
`FLASKOPS_TRACING_MIDDLEWARE=opentelemetry` switches back to FlaskInstrumentor.

Telemetry never fails a request: an exception from the kit's own span work (start,
response attributes, end) switches the fast path off (flaskops_flask.fastpath), the request
is served as it would have been, and later ones go through FlaskInstrumentor (`upstream`).
Tracers the SDK's tracer configurator disables (`Tracer._is_enabled()`) get no spans here
either: their requests take the SDK's own path, which makes none.

Attributes follow the stable HTTP semantic conventions, limited to the required ones plus
the route: http.request.method, url.path, url.scheme, http.route,
http.response.status_code (and error.type on 5xx).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import Token
from typing import Any, cast
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, request
from flask.signals import got_request_exception
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.wsgi import wsgi_getter
from opentelemetry.propagate import extract
from opentelemetry.sdk.trace import SpanLimits, Tracer, TracerProvider
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.url_attributes import URL_PATH, URL_SCHEME
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

from flaskops_flask.fastpath import FAST_PATH
from flaskops_flask.recording_span import (
    SAMPLED_ROOT_FLAGS,
    RecordingSpan,
    qualifies,
)
from flaskops_flask.root_sampling import DROPPED_ROOT_FLAGS, RootDecisions
from flaskops_flask.upstream import UPSTREAM_REQUEST
from flaskops_flask.w3c import (
    W3CPropagation,
    drops_unsampled,
    keeps_sampled,
    sampled_parent,
    sdk_counts_spans,
    unsampled_parent,
)

# The HTTP methods semconv names; others are reported as _OTHER (shared with client_spans).
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


class ServerSpans:
    """WSGI middleware around `app.wsgi_app`; install with `ServerSpans(app, provider, ...)`."""

    def __init__(
        self,
        app: Flask,
        provider: TracerProvider,
        excluded_paths: Iterable[str],
        scope_version: str = "",
        upstream: WSGIApplication | None = None,
    ) -> None:
        self.tracer = provider.get_tracer("flaskops_flask", scope_version)
        # The SDK's tracer configurator may disable this tracer at any time; the no-op
        # tracer of OTEL_SDK_DISABLED has no configurator.
        self.enabled = self.tracer._is_enabled if isinstance(self.tracer, Tracer) else _always
        self.new_span_id = provider.id_generator.generate_span_id
        self.excluded = frozenset(excluded_paths)
        # flaskops_flask.w3c: requests under an unsampled caller skip the SDK's general
        # path when the defaults make its outcome known. `shortcut` is False otherwise.
        self.shortcut = drops_unsampled(provider.sampler, "remote") and not sdk_counts_spans()
        # flaskops_flask.root_sampling (docs/benchmarks.md, item 18): so do root requests
        # the sampler will drop. `roots` is None otherwise.
        self.roots = RootDecisions.for_provider(provider)
        # flaskops_flask.recording_span (item 21): the roots it keeps, and requests under a
        # sampled caller, start without the SDK's general path too, while the span limits
        # leave the kit's attributes whole. `limits` is None otherwise, and is the one
        # switch for both.
        limits = provider._span_limits
        sdk_tracer = isinstance(self.tracer, Tracer)  # not the no-op one of OTEL_SDK_DISABLED
        self.limits = limits if sdk_tracer and qualifies(limits) else None
        self.sampled_callers = keeps_sampled(provider.sampler, "remote") and not sdk_counts_spans()
        self.w3c_propagation = W3CPropagation()
        self.wrapped: WSGIApplication = app.wsgi_app
        self.upstream = upstream or self.wrapped
        app.wsgi_app = self  # type: ignore[method-assign]
        got_request_exception.connect(self._on_exception, app, weak=False)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not FAST_PATH.on:
            environ[UPSTREAM_REQUEST] = True
            return self.upstream(environ, start_response)
        if (environ.get("PATH_INFO") or "/") in self.excluded:
            return self.wrapped(environ, start_response)
        try:
            span, token, responder = self._begin(environ, start_response)
        except Exception as exc:  # the kit's own code: the request must not see it
            FAST_PATH.fail("the server span's start", exc)
            environ[UPSTREAM_REQUEST] = True
            return self.upstream(environ, start_response)
        try:
            return self.wrapped(environ, responder)
        finally:
            # Flask has built the whole response by now; a streamed body is not timed.
            context.detach(token)
            try:
                span.end()
            except Exception as exc:
                FAST_PATH.fail("the server span's end", exc)

    def _begin(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> tuple[trace.Span, Token[Context], StartResponse]:
        """The request's span, made current (the token to detach), and the start_response
        that describes it from the response."""
        path = environ.get("PATH_INFO") or "/"
        w3c = self.w3c_propagation() and not _carries_state(environ) and self.enabled()
        traceparent = environ.get("HTTP_TRACEPARENT")
        root = w3c and traceparent is None  # no propagation headers at all
        roots = self.roots if root else None
        trace_id = 0
        remote = None  # a sampled caller's span context, when the W3C conditions hold
        if roots is not None:
            trace_id, sampled = roots.draw()
            if not sampled:
                return (*self._unsampled(trace_id, DROPPED_ROOT_FLAGS), start_response)
        elif w3c:
            if self.shortcut:
                caller = unsampled_parent(traceparent)
                if caller is not None:
                    return (*self._unsampled(*caller), start_response)
            if self.sampled_callers and self.limits is not None:
                remote = sampled_parent(traceparent)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in KNOWN_METHODS:
            method = "_OTHER"
        attributes: dict[str, str | int] = {
            HTTP_REQUEST_METHOD: method,
            URL_PATH: path,
            URL_SCHEME: environ.get("wsgi.url_scheme", "http"),
        }
        span: trace.Span
        if remote is not None:  # what W3C extract gives for that header alone
            parent = trace.set_span_in_context(NonRecordingSpan(remote), Context())
            span = self._recording(
                method, remote.trace_id, remote.trace_flags, remote, attributes, parent
            )
        elif roots is not None and self.limits is not None:
            parent = Context()
            span = self._recording(method, trace_id, SAMPLED_ROOT_FLAGS, None, attributes, parent)
        else:
            # With nothing to extract, the W3C propagators would return an empty context.
            parent = Context() if root else extract(environ, getter=wsgi_getter)
            if roots is not None:  # sampled: start_span makes the span with this id
                roots.hand_over(trace_id)
            try:
                span = self.tracer.start_span(
                    method, context=parent, kind=SpanKind.SERVER, attributes=attributes
                )
            finally:
                if roots is not None:
                    roots.clear()
        token = context.attach(trace.set_span_in_context(span, parent))
        if span.is_recording():
            return span, token, _Responder(span, method, start_response)
        return span, token, start_response

    def _recording(
        self,
        name: str,
        trace_id: int,
        flags: TraceFlags,
        remote: SpanContext | None,
        attributes: dict[str, str | int],
        parent: Context,
    ) -> RecordingSpan:
        # As start_span makes a span the sampler keeps: a new span id in the trace, the
        # flags of the decision (sampled, and the caller's or our random-id bit).
        span_context = SpanContext(trace_id, self.new_span_id(), False, flags)
        # Only called once `limits` qualified, on the SDK's own tracer (see __init__).
        tracer, limits = cast(Tracer, self.tracer), cast(SpanLimits, self.limits)
        span = RecordingSpan(tracer, limits, name, span_context, remote, attributes)
        span.start(parent_context=parent)
        return span

    def _unsampled(self, trace_id: int, flags: TraceFlags) -> tuple[trace.Span, Token[Context]]:
        # What extract + start_span give under an unsampled caller: a span of its own id
        # in the caller's trace, not recording, made current for logs and outgoing calls.
        span = NonRecordingSpan(SpanContext(trace_id, self.new_span_id(), False, flags))
        # On an empty context, as extract builds it when no context is given to it.
        return span, context.attach(trace.set_span_in_context(span, Context()))

    @staticmethod
    def _on_exception(sender: Flask, exception: BaseException, **_: object) -> None:
        if not FAST_PATH.on:  # FlaskInstrumentor's own teardown records it
            return
        span = trace.get_current_span()
        try:
            if span.is_recording():
                span.record_exception(exception)
        except Exception as exc:
            FAST_PATH.fail("the server span's exception event", exc)


def _always() -> bool:
    return True


def _carries_state(environ: WSGIEnvironment) -> bool:
    """A tracestate or baggage header must be extracted and passed on: the SDK's path."""
    return "HTTP_TRACESTATE" in environ or "HTTP_BAGGAGE" in environ


class _Responder:
    """start_response for a recording span: adds route, status and error to it. It runs
    inside Flask's request context, where the matched rule is known."""

    __slots__ = ("method", "span", "start_response")

    def __init__(self, span: trace.Span, method: str, start_response: StartResponse) -> None:
        self.span = span
        self.method = method
        self.start_response = start_response

    def __call__(self, status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        try:
            self.describe(int(status[:3]))
        except Exception as exc:  # the response goes out whatever the span makes of it
            FAST_PATH.fail("the server span's response attributes", exc)
        return self.start_response(status, headers, *args)

    def describe(self, code: int) -> None:
        attributes: dict[str, str | int] = {HTTP_RESPONSE_STATUS_CODE: code}
        rule = request.url_rule
        name = None
        if rule is not None:
            name = f"{self.method} {rule.rule}"
            attributes[HTTP_ROUTE] = rule.rule
        if code >= 500:
            attributes[ERROR_TYPE] = str(code)
        span = self.span
        if type(span) is RecordingSpan:
            span.describe(name, attributes, code >= 500)
        else:
            if name is not None:
                span.update_name(name)
            if code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.set_attributes(attributes)
