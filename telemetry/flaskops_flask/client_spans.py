"""One CLIENT span per outgoing `requests` call, with only the work a call needs.

Why not opentelemetry-instrumentation-requests by default (it stays behind
FLASKOPS_TRACING_MIDDLEWARE=opentelemetry, as FlaskInstrumentor does on the server side):
for every call it sanitises and parses the URL, builds span and metric attribute sets,
classifies the user agent, starts its span through two context managers, patches the
connection for the peer address and records two duration metrics, into a no-op meter when
no MeterProvider is set. docs/benchmarks.md measured ~100 us per call for a span that is
not even recorded, and ~110 us more than this module for one that is.

So this wrapper of `Session.send`:
- leaves the call alone when HTTP instrumentation is suppressed (as the upstream one does);
- when the current span is unsampled and the sampler drops children of unsampled parents
  (every `parentbased_*` sampler of the SDK does, unless configured otherwise), injects
  only the W3C `traceparent` (not sampled), so the next service follows the same decision
  and its log lines carry the same trace_id; with the default W3C propagators and no
  tracestate or baggage to carry, it writes that header itself (flaskops_flask.w3c);
- otherwise starts a CLIENT span through the SDK's `start_span` (its sampler decides),
  injects its context and, if it records, sets the stable HTTP semantic-convention
  attributes: http.request.method, server.address, server.port, url.full (credentials
  and signed query values redacted), http.response.status_code, and error.type on an
  error status or exception.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context, trace
from opentelemetry.baggage import get_all as current_baggage
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_FULL
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util.http import redact_url
from requests import PreparedRequest, Response, Session
from requests.structures import CaseInsensitiveDict

from flaskops_flask.fastpath import FAST_PATH
from flaskops_flask.server_spans import KNOWN_METHODS
from flaskops_flask.w3c import (
    W3CPropagation,
    drops_unsampled,
    sdk_counts_spans,
    unsampled_traceparent,
)

_MARK = "flaskops_client_spans"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _attributes(request: PreparedRequest, method: str) -> dict[str, str | int]:
    url = request.url or ""
    parts = urlsplit(url)
    attributes: dict[str, str | int] = {
        HTTP_REQUEST_METHOD: method if method in KNOWN_METHODS else "_OTHER",
        URL_FULL: redact_url(url),
    }
    if method not in KNOWN_METHODS:
        attributes[HTTP_REQUEST_METHOD_ORIGINAL] = method
    if parts.hostname:
        attributes[SERVER_ADDRESS] = parts.hostname
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    if port:
        attributes[SERVER_PORT] = port
    return attributes


def install_client_spans(provider: TracerProvider, version: str = "") -> bool:
    """Wrap `Session.send` (once per process); False when it was already wrapped."""
    if getattr(Session.send, _MARK, False):
        return False
    original = Session.send
    tracer = provider.get_tracer("flaskops_flask", version)
    short_path = drops_unsampled(provider.sampler, "local") and not sdk_counts_spans()

    def begin(request: PreparedRequest) -> trace.Span | None:
        """The call's CLIENT span, its context injected; None when only the unsampled
        traceparent is passed on."""
        if request.headers is None:  # as RequestsInstrumentor guards it
            request.headers = CaseInsensitiveDict()
        active = context.get_current()
        current = trace.get_current_span(active).get_span_context()
        if short_path and current.is_valid and not current.trace_flags.sampled:
            _propagate_unsampled(current, request.headers, active)
            return None
        method = (request.method or "GET").upper()
        span = tracer.start_span(
            method if method in KNOWN_METHODS else "HTTP",
            kind=SpanKind.CLIENT,
            attributes=_attributes(request, method),
        )
        inject(request.headers, context=trace.set_span_in_context(span))
        return span

    def send(self: Session, request: PreparedRequest, **kwargs: Any) -> Response:
        if not FAST_PATH.on or not is_http_instrumentation_enabled():
            return original(self, request, **kwargs)
        try:
            span = begin(request)
        except Exception as exc:  # the kit's own code: the call goes out untraced
            FAST_PATH.fail("the client span's start", exc)
            span = None
        if span is None:
            return original(self, request, **kwargs)
        try:
            response = original(self, request, **kwargs)
        except Exception as exc:
            _end(span, None, exc)
            raise
        _end(span, response, None)
        return response

    functools.update_wrapper(send, original)
    setattr(send, _MARK, True)
    Session.send = send  # type: ignore[method-assign]
    return True


def _end(span: trace.Span, response: Response | None, error: Exception | None) -> None:
    try:
        if span.is_recording():
            if error is not None:
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            elif response is not None:
                code = response.status_code
                attributes: dict[str, str | int] = {HTTP_RESPONSE_STATUS_CODE: code}
                if code >= 400:
                    attributes[ERROR_TYPE] = str(code)
                    span.set_status(Status(StatusCode.ERROR))
                span.set_attributes(attributes)
        span.end()
    except Exception as exc:  # the caller gets its response (or its own error) regardless
        FAST_PATH.fail("the client span's end", exc)


_w3c_propagation = W3CPropagation()


def _propagate_unsampled(
    current: SpanContext, headers: CaseInsensitiveDict[str], active: Context
) -> None:
    # flaskops_flask.w3c: with the default W3C propagators and nothing else to carry, the
    # header is what their inject would write.
    if not current.trace_state and not current_baggage(active) and _w3c_propagation():
        headers["traceparent"] = unsampled_traceparent(current)
    else:
        inject(headers, active)


def uninstall_client_spans() -> None:
    """Put requests' own `Session.send` back (tests, and apps that instrument twice)."""
    wrapped = getattr(Session.send, "__wrapped__", None)
    if getattr(Session.send, _MARK, False) and wrapped is not None:
        Session.send = wrapped  # type: ignore[method-assign]
