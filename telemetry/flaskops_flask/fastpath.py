"""The process-wide switch between the kit's tracing fast path and the upstream path.

The fast path (server_spans, recording_span, client_spans, otlp_wire, otlp_transport, ...)
reads private names of the tested OpenTelemetry releases. flaskops_flask.guard decides at
`instrument()` whether it may run at all; this switch turns it off while the app runs,
the first time any of its code raises: `FAST_PATH.fail(where, exc)` logs one warning,
runs what each part registered with `on_fail` (the server spans hand requests to
FlaskInstrumentor, the client spans to RequestsInstrumentor, the exporter to the upstream
OTLPSpanExporter) and stays off for the rest of the process. The request that hit the
error is answered as if nothing happened: telemetry may degrade, the request may not.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger("flaskops.telemetry")


class FastPath:
    def __init__(self) -> None:
        self.on = True
        self._lock = threading.Lock()
        self._fallbacks: list[Callable[[], None]] = []

    def on_fail(self, fallback: Callable[[], None]) -> None:
        """Run `fallback` when the fast path fails (at once, if it already has)."""
        with self._lock:
            if self.on:
                self._fallbacks.append(fallback)
                return
        _run(fallback)

    def fail(self, where: str, exc: BaseException) -> None:
        """Switch the fast path off for good; only the first failure is logged."""
        with self._lock:
            if not self.on:
                return
            self.on = False
            fallbacks, self._fallbacks = self._fallbacks, []
        log.warning(
            "flaskops tracing fast path failed in %s (%s: %s); this process now traces "
            "through the upstream OpenTelemetry instrumentation and exporter",
            where,
            type(exc).__name__,
            exc,
            extra={"pid": os.getpid(), "fast_path": "off"},
        )
        for fallback in fallbacks:
            _run(fallback)

    def reset(self) -> None:
        """Back on, with nothing registered (tests that build several apps in one process)."""
        with self._lock:
            self.on = True
            self._fallbacks = []


def _run(fallback: Callable[[], None]) -> None:
    try:
        fallback()
    except Exception:  # a fallback that cannot be set up costs its spans, not requests
        log.exception("flaskops: switching a tracing part to the upstream path failed")


FAST_PATH = FastPath()
