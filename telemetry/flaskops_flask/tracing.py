"""OpenTelemetry tracing configured from the standard OTEL_* variables.

What is read from the environment, by the SDK itself: OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG) (sampler),
OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT/COMPRESSION (exporter),
OTEL_BSP_* (batching), OTEL_PROPAGATORS (W3C tracecontext+baggage by default).
OTEL_TRACES_EXPORTER picks `otlp` (default; OTLP over HTTP/protobuf), `console` or `none`.

Two paths emit the same spans (stable HTTP semantic conventions). The fast path: SERVER
spans from flaskops_flask.server_spans, CLIENT spans and the W3C traceparent header for
outgoing `requests` calls from flaskops_flask.client_spans, the OTLP wire encoder and
urllib3 transport (see there why). The upstream path (flaskops_flask.upstream):
FlaskInstrumentor, RequestsInstrumentor and the upstream OTLPSpanExporter. The upstream
path is taken when FLASKOPS_TRACING_MIDDLEWARE=opentelemetry asks for it, or when
flaskops_flask.guard finds the installed OpenTelemetry different from the tested one (one
warning); if the fast path raises later, flaskops_flask.fastpath switches every part over.
The fast-path modules are imported only once the guard has passed.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping

from flask import Flask
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from flaskops_flask import fastpath, guard
from flaskops_flask.fastpath import FAST_PATH
from flaskops_flask.upstream import STANDBY, instrument_client, instrument_server

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


def make_exporter(env: Mapping[str, str], fast: bool = True) -> SpanExporter | None:
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

    if not fast or env.get("FLASKOPS_OTLP_ENCODER", "wire") == "upstream":
        return OTLPSpanExporter()
    try:
        from flaskops_flask.otlp_transport import exporter_transport
        from flaskops_flask.otlp_wire import WireOTLPSpanExporter

        return WireOTLPSpanExporter(_transport=exporter_transport(env))
    except Exception as exc:
        FAST_PATH.fail("the OTLP exporter's setup", exc)
        return OTLPSpanExporter()


def make_processor(exporter: SpanExporter, env: Mapping[str, str]) -> SpanProcessor:
    # Smaller batches than the SDK's 512 unless OTEL_BSP_MAX_EXPORT_BATCH_SIZE says
    # otherwise: encoding and posting a batch runs in this process and holds the GIL, so
    # one big batch is one big latency spike for the requests in flight (docs/benchmarks.md).
    batch = None if "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" in env else DEFAULT_BATCH
    return BatchSpanProcessor(exporter, max_export_batch_size=batch)


def make_provider(
    service: str, version: str, env: Mapping[str, str], fast: bool = True
) -> TracerProvider:
    # Explicit attributes win over OTEL_RESOURCE_ATTRIBUTES in Resource.create, so the
    # name/version resolved by TelemetryConfig (which already honours those) are used.
    resource = Resource.create({"service.name": service, "service.version": version})
    ids = None
    if fast:
        # RootIds: the SDK's random ids, plus the hand-over flaskops_flask.root_sampling needs.
        from flaskops_flask.root_sampling import RootIds

        ids = RootIds()
    provider = TracerProvider(resource=resource, shutdown_on_exit=False, id_generator=ids)
    atexit.register(shutdown_bounded, provider, SHUTDOWN_FLUSH_SECONDS)
    exporter = make_exporter(env, fast)
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
    fast = env.get("FLASKOPS_TRACING_MIDDLEWARE", "flaskops") != "opentelemetry" and FAST_PATH.on
    if fast:
        problems = guard.problems()
        if problems:
            fastpath.log.warning(
                "flaskops tracing fast path not used: %s; tracing through the upstream "
                "OpenTelemetry instrumentation and exporter instead (same span attributes)",
                "; ".join(problems),
                extra={"pid": os.getpid(), "fast_path": "off"},
            )
            fast = False
    provider = make_provider(service, version, env, fast)
    current = trace.get_tracer_provider()
    if isinstance(current, trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    if fast and FAST_PATH.on:
        try:
            from flaskops_flask.fast_tracing import install

            install(app, provider, excluded_paths, _version(), env)
            return provider
        except Exception as exc:
            FAST_PATH.fail("the tracing setup", exc)
            if STANDBY in app.extensions:  # the server part switched to it
                instrument_client(provider)
                return provider
    instrument_server(app, provider, excluded_paths, env)
    # Outgoing calls: one wrapper per process. Whoever instrumented requests first (an
    # earlier instrument(), or OpenTelemetry's auto-instrumentation) keeps it.
    instrument_client(provider)
    return provider


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flaskops-flask")
    except PackageNotFoundError:
        return "0"
