"""OpenTelemetry tracing configured from the standard OTEL_* variables.

What is read from the environment, by the SDK itself: OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG) (sampler),
OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT/COMPRESSION (exporter),
OTEL_BSP_* (batching), OTEL_PROPAGATORS (W3C tracecontext+baggage by default).
OTEL_TRACES_EXPORTER picks `otlp` (default; OTLP over HTTP/protobuf), `console` or `none`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from flask import Flask
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

log = logging.getLogger("flaskops.tracing")


def make_exporter(env: Mapping[str, str]) -> SpanExporter | None:
    kind = env.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower()
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleSpanExporter()
    if kind != "otlp":
        log.warning("OTEL_TRACES_EXPORTER=%s is not supported here; using otlp", kind)
    protocol = env.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    )
    if protocol and protocol != "http/protobuf":
        log.warning("OTLP protocol %s is not supported here; using http/protobuf", protocol)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def make_processor(exporter: SpanExporter) -> SpanProcessor:
    return BatchSpanProcessor(exporter)


def make_provider(service: str, version: str, env: Mapping[str, str]) -> TracerProvider:
    # Explicit attributes win over OTEL_RESOURCE_ATTRIBUTES in Resource.create, so the
    # name/version resolved by TelemetryConfig (which already honours those) are used.
    resource = Resource.create({"service.name": service, "service.version": version})
    provider = TracerProvider(resource=resource)
    exporter = make_exporter(env)
    if exporter is not None:
        provider.add_span_processor(make_processor(exporter))
    return provider


def setup_tracing(
    app: Flask,
    service: str,
    version: str,
    excluded_paths: tuple[str, ...],
    env: Mapping[str, str] | None = None,
) -> TracerProvider:
    env = os.environ if env is None else env
    provider = make_provider(service, version, env)
    current = trace.get_tracer_provider()
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    # Regexes searched in the full URL; anchored so /healthz does not also exclude /healthzz.
    patterns = ",".join(rf"{p}(\?|$)" for p in excluded_paths)
    excluded = None if "OTEL_PYTHON_FLASK_EXCLUDED_URLS" in env else patterns
    FlaskInstrumentor.instrument_app(  # type: ignore[no-untyped-call]
        app, tracer_provider=provider, excluded_urls=excluded
    )
    requests_instrumentor = RequestsInstrumentor()
    if not requests_instrumentor.is_instrumented_by_opentelemetry:
        requests_instrumentor.instrument(tracer_provider=provider)
    return provider
