"""The upstream tracing path: OpenTelemetry's FlaskInstrumentor, RequestsInstrumentor and
OTLPSpanExporter, emitting the attribute names the fast path emits.

Taken when FLASKOPS_TRACING_MIDDLEWARE=opentelemetry asks for it, when flaskops_flask.guard
finds the installed OpenTelemetry different from the tested one, and, part by part, when
the fast path fails while the app runs (flaskops_flask.fastpath). Only public APIs of the
instrumentations are used here, so this path keeps working where the fast path cannot.

The instrumentations report the old HTTP semantic conventions unless
OTEL_SEMCONV_STABILITY_OPT_IN includes `http`; the kit's spans use the stable ones, so
`http` is added (dashboards and canary queries see the same names on either path).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider

SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
_HOOK_LISTS = ("before_request_funcs", "teardown_request_funcs")
# app.extensions key of an app's ServerStandby.
STANDBY = "flaskops_server_standby"
# WSGI environ key set on the requests handed to the standby (ServerSpans does).
UPSTREAM_REQUEST = "flaskops.upstream"


def stable_http_semconv() -> None:
    """Add `http` to OTEL_SEMCONV_STABILITY_OPT_IN unless it already asks for http or
    http/dup (the instrumentations read it once, at their first use)."""
    opted = [s.strip() for s in os.environ.get(SEMCONV_OPT_IN, "").split(",") if s.strip()]
    if "http" not in opted and "http/dup" not in opted:
        os.environ[SEMCONV_OPT_IN] = ",".join([*opted, "http"])


def instrument_server(
    app: Flask, provider: TracerProvider, excluded_paths: Iterable[str], env: Mapping[str, str]
) -> None:
    stable_http_semconv()
    # Regexes searched in the full URL; anchored so /healthz does not also exclude /healthzz.
    patterns = ",".join(rf"{p}(\?|$)" for p in excluded_paths)
    excluded = None if "OTEL_PYTHON_FLASK_EXCLUDED_URLS" in env else patterns
    FlaskInstrumentor.instrument_app(  # type: ignore[no-untyped-call]
        app, tracer_provider=provider, excluded_urls=excluded
    )


def instrument_client(provider: TracerProvider) -> None:
    """RequestsInstrumentor, unless someone (OpenTelemetry's auto-instrumentation, an
    earlier instrument()) already instrumented requests."""
    stable_http_semconv()
    instrumentor = RequestsInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


class ServerStandby:
    """FlaskInstrumentor prepared while the app is set up, kept out of the request path
    until the fast path fails: Flask refuses new request hooks once it has served a
    request, so they are registered now, taken out, and put back by `activate`."""

    def __init__(
        self,
        app: Flask,
        provider: TracerProvider,
        excluded_paths: Iterable[str],
        env: Mapping[str, str],
    ) -> None:
        self.app = app
        inner = app.wsgi_app
        before = {name: list(getattr(app, name).get(None, ())) for name in _HOOK_LISTS}
        instrument_server(app, provider, excluded_paths, env)
        self.wsgi_app: Callable[..., Any] = app.wsgi_app
        app.wsgi_app = inner  # type: ignore[method-assign]
        self.hooks: dict[str, list[Callable[..., Any]]] = {}
        for name in _HOOK_LISTS:
            funcs = getattr(app, name).get(None, [])
            added = [f for f in funcs if f not in before[name]]
            for f in added:
                funcs.remove(f)
            self.hooks[name] = added
        app.extensions[STANDBY] = self

    def activate(self) -> None:
        # Gated: a request already on the fast path when the switch happens (another
        # thread) must not get a second span from these hooks.
        for name, added in self.hooks.items():
            getattr(self.app, name).setdefault(None, []).extend(_gated(f) for f in added)


def _gated(hook: Callable[..., Any]) -> Callable[..., Any]:
    def gated(*args: Any) -> Any:
        if request.environ.get(UPSTREAM_REQUEST):
            return hook(*args)
        return None

    return gated
