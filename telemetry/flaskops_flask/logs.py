"""JSON log lines on stdout, carrying trace_id/span_id of the span active when written.

The correlation is a logging.Filter on our handler rather than OpenTelemetry's logging
instrumentation: that one rewrites the global LogRecord factory, which would also change
the records of every other handler in the process.
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

_MARK = "_flaskops_json_handler"
# The name of the root handler that flaskops_flask.gunicorn.json_logconfig installs for the
# app's lines; configure_json_logging takes its place rather than writing every line twice.
APP_HANDLER = "flaskops-app"


class TraceContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            record.trace_id = format(ctx.trace_id, "032x")
            record.span_id = format(ctx.span_id, "016x")
            record.trace_sampled = ctx.trace_flags.sampled
        return True


def json_formatter(static_fields: dict[str, str] | None = None) -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        static_fields=static_fields or {},
    )


def configure_json_logging(service: str, version: str, level: str = "INFO") -> logging.Handler:
    """Send the root logger to stdout as JSON; idempotent (a second call reuses the handler).
    The gunicorn config's handler for app lines, if present, is replaced by this one."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, _MARK, False):
            return handler
    for handler in [h for h in root.handlers if h.get_name() == APP_HANDLER]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter({"service": service, "version": version}))
    handler.addFilter(TraceContextFilter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
