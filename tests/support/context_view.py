"""A Flask app whose one view shows the trace context a request runs in, behind the
kit's server spans: to compare the shortcuts with the SDK's general path."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flaskops_flask.server_spans import ServerSpans
from opentelemetry import baggage, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def context_app(provider: TracerProvider) -> tuple[Flask, ServerSpans, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Flask("context")

    @app.get("/")
    def seen() -> dict[str, Any]:
        ctx = trace.get_current_span().get_span_context()
        return {
            "trace_id": f"{ctx.trace_id:032x}",
            "span_id": f"{ctx.span_id:016x}",
            "flags": int(ctx.trace_flags),
            "remote": ctx.is_remote,
            "recording": trace.get_current_span().is_recording(),
            "tracestate": ctx.trace_state.to_header(),
            "baggage": dict(baggage.get_all()),
        }

    return app, ServerSpans(app, provider, ()), exporter


def view(app: Flask, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = app.test_client().get("/", headers=headers or {})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body
