"""Runs the user's app (tests/telemetry/userapp) once in a fresh process, after simulating
OpenTelemetry drift or injecting a fault into the kit, and reports what the client saw.

    DRIFT_RESULT=out.json FLASKOPS_DRIFT=hide:<module:Owner.name> python -m tests.telemetry.drift_driver

FLASKOPS_DRIFT: one tests/support/drift.py drift, applied before the kit is imported.
FLASKOPS_INJECT: span_end | encoder | exporter: that part of the kit raises, every time.
FLASKOPS_TRACERS=disabled: the SDK's tracer configurator disables every tracer.
The requests of tests/support/userapp.plan(), twice, go through the app's WSGI stack (Flask's test
client: real status codes, real /metrics); the outgoing calls and the span export are real
HTTP (DOWNSTREAM_URL, OTEL_EXPORTER_OTLP_ENDPOINT). Log lines go to stdout as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from tests.support.drift import apply
from tests.support.userapp import USERAPP, plan


class Injected(RuntimeError):
    pass


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise Injected("injected fault")


def inject(where: str) -> None:
    if where == "span_end":
        from flaskops_flask.recording_span import RecordingSpan

        RecordingSpan.end = _raise  # type: ignore[method-assign]
    elif where == "encoder":
        from flaskops_flask.otlp_wire import _Encoder

        _Encoder.request = _raise  # type: ignore[method-assign]
    elif where == "exporter":
        from flaskops_flask.otlp_wire import WireOTLPSpanExporter

        original = WireOTLPSpanExporter.__init__

        def __init__(self: WireOTLPSpanExporter, **kwargs: Any) -> None:
            original(self, **kwargs)
            self._client.export = _raise  # type: ignore[method-assign]

        WireOTLPSpanExporter.__init__ = __init__  # type: ignore[method-assign]
    else:
        raise ValueError(f"unknown FLASKOPS_INJECT={where!r}")


def main() -> None:
    if os.environ.get("FLASKOPS_DRIFT"):
        apply(os.environ["FLASKOPS_DRIFT"])
    where = os.environ.get("FLASKOPS_INJECT", "")
    if where == "exporter":  # the app's exporter is built by instrument()
        inject(where)
    sys.path.insert(0, str(USERAPP))
    from opentelemetry.sdk.trace import _disable_tracer_configurator
    from userapp.app import create_app

    app = create_app()
    if where and where != "exporter":  # after instrument(): its guard would catch them
        inject(where)
    telemetry = app.extensions["flaskops"]
    if os.environ.get("FLASKOPS_TRACERS") == "disabled":
        telemetry.tracer_provider._set_tracer_configurator(
            tracer_configurator=_disable_tracer_configurator
        )
    client = app.test_client()
    seen = []
    # Two rounds with an export in between: a fault in the exporter switches the fast
    # path off at the first export, and the second round shows what follows.
    for _ in range(2):
        seen += [(route, client.get(path).status_code) for path, route in plan()]
        telemetry.tracer_provider.force_flush()
    metrics = client.get("/metrics").get_data(as_text=True)
    Path(os.environ["DRIFT_RESULT"]).write_text(json.dumps({"seen": seen, "metrics": metrics}))


if __name__ == "__main__":
    main()
