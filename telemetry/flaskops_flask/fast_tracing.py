"""Installs the tracing fast path on an app, each part with its way back to the upstream
path (flaskops_flask.fastpath): imported by tracing.py only after flaskops_flask.guard
has passed, so a fast-path module that cannot even be imported never reaches the app."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from flaskops_flask.client_spans import install_client_spans, uninstall_client_spans
from flaskops_flask.fastpath import FAST_PATH
from flaskops_flask.server_spans import ServerSpans
from flaskops_flask.upstream import ServerStandby, instrument_client


def install(
    app: Flask,
    provider: TracerProvider,
    excluded_paths: Iterable[str],
    scope_version: str,
    env: Mapping[str, str],
) -> None:
    # FlaskInstrumentor first, kept aside: requests go to it once the fast path is off.
    standby = ServerStandby(app, provider, excluded_paths, env)
    FAST_PATH.on_fail(standby.activate)
    ServerSpans(app, provider, excluded_paths, scope_version, standby.wsgi_app)
    # Outgoing calls: one wrapper per process. Whoever instrumented requests first (an
    # earlier instrument(), or OpenTelemetry's auto-instrumentation) keeps it.
    if RequestsInstrumentor().is_instrumented_by_opentelemetry:
        return
    if install_client_spans(provider, scope_version):

        def to_upstream() -> None:
            uninstall_client_spans()
            instrument_client(provider)

        FAST_PATH.on_fail(to_upstream)
