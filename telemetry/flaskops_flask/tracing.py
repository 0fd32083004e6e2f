"""OpenTelemetry tracing configured from the standard OTEL_* variables.

What is read from the environment, by the SDK itself: OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG) (sampler),
OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT/COMPRESSION (exporter),
OTEL_BSP_* (batching), OTEL_PROPAGATORS (W3C tracecontext+baggage by default).
OTEL_TRACES_EXPORTER picks `otlp` (default; OTLP over HTTP/protobuf), `console` or `none`.

Incoming requests get SERVER spans from flaskops_flask.server_spans, outgoing `requests`
calls CLIENT spans and the W3C traceparent header from flaskops_flask.client_spans (see
there why); with FLASKOPS_TRACING_MIDDLEWARE=opentelemetry, FlaskInstrumentor and
RequestsInstrumentor do both instead.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
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

from flaskops_flask.client_spans import install_client_spans
from flaskops_flask.otlp_transport import exporter_transport
from flaskops_flask.root_sampling import RootIds
from flaskops_flask.server_spans import ServerSpans

log = logging.getLogger("flaskops.tracing")
DEFAULT_BATCH = 64
# At exit the SDK would wait for the last export however long the collector takes (retries
# up to OTEL_EXPORTER_OTLP_TIMEOUT, then the processor's 30 s); a worker stopping on SIGTERM
# must not hang on a dead collector, so the final flush gets this long and no more.
SHUTDOWN_FLUSH_SECONDS = 3.0


def shutdown_bounded(provider: TracerProvider, seconds: float) -> None:
    """Flush and shut down in a daemon thread; give up (dropping spans) after `seconds`."""
    worker = threading.Thread(target=provider.shutdown, name="flaskops-otel-shutdown", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        log.warning("trace exporter did not finish within %.0fs at exit; spans dropped", seconds)


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
    if env.get("FLASKOPS_OTLP_ENCODER", "wire") == "upstream":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from flaskops_flask.otlp_wire import WireOTLPSpanExporter

    return WireOTLPSpanExporter(_transport=exporter_transport(env))


def make_processor(exporter: SpanExporter, env: Mapping[str, str]) -> SpanProcessor:
    # Smaller batches than the SDK's 512 unless OTEL_BSP_MAX_EXPORT_BATCH_SIZE says
    # otherwise: encoding and posting a batch runs in this process and holds the GIL, so
    # one big batch is one big latency spike for the requests in flight (docs/benchmarks.md).
    batch = None if "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" in env else DEFAULT_BATCH
    return BatchSpanProcessor(exporter, max_export_batch_size=batch)


def make_provider(service: str, version: str, env: Mapping[str, str]) -> TracerProvider:
    # Explicit attributes win over OTEL_RESOURCE_ATTRIBUTES in Resource.create, so the
    # name/version resolved by TelemetryConfig (which already honours those) are used.
    resource = Resource.create({"service.name": service, "service.version": version})
    # RootIds: the SDK's random ids, plus the hand-over flaskops_flask.root_sampling needs.
    provider = TracerProvider(resource=resource, shutdown_on_exit=False, id_generator=RootIds())
    atexit.register(shutdown_bounded, provider, SHUTDOWN_FLUSH_SECONDS)
    exporter = make_exporter(env)
    if exporter is not None:
        provider.add_span_processor(make_processor(exporter, env))
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
    scope_version = _version()
    current = trace.get_tracer_provider()
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    upstream_only = env.get("FLASKOPS_TRACING_MIDDLEWARE", "flaskops") == "opentelemetry"
    if upstream_only:
        # Regexes searched in the full URL; anchored so /healthz does not also exclude /healthzz.
        patterns = ",".join(rf"{p}(\?|$)" for p in excluded_paths)
        excluded = None if "OTEL_PYTHON_FLASK_EXCLUDED_URLS" in env else patterns
        FlaskInstrumentor.instrument_app(  # type: ignore[no-untyped-call]
            app, tracer_provider=provider, excluded_urls=excluded
        )
    else:
        ServerSpans(app, provider, excluded_paths, scope_version)
    # Outgoing calls: one wrapper per process. Whoever instrumented requests first (an
    # earlier instrument(), or OpenTelemetry's auto-instrumentation) keeps it.
    requests_instrumentor = RequestsInstrumentor()
    if requests_instrumentor.is_instrumented_by_opentelemetry:
        return provider
    if upstream_only:
        requests_instrumentor.instrument(tracer_provider=provider)
    else:
        install_client_spans(provider, scope_version)
    return provider


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flaskops-flask")
    except PackageNotFoundError:
        return "0"
