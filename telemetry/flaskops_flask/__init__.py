"""One call that gives a Flask app the kit's telemetry: `instrument(app)`.

    from flaskops_flask import instrument
    telemetry = instrument(app)                      # everything, configured from env
    telemetry.health.register("db", lambda: db.ping())

Each part can be switched off by keyword (`instrument(app, tracing=False)`) or by
environment (FLASKOPS_METRICS, FLASKOPS_TRACING / OTEL_SDK_DISABLED, FLASKOPS_JSON_LOGS,
FLASKOPS_HEALTH set to 0/false). A part that is off leaves no hooks, routes or handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask

from flaskops_flask.config import TelemetryConfig
from flaskops_flask.health import Health

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from flaskops_flask.metrics import RequestMetrics

__all__ = ["Health", "Telemetry", "TelemetryConfig", "instrument"]

_EXTENSION = "flaskops"


@dataclass
class Telemetry:
    config: TelemetryConfig
    health: Health
    metrics: RequestMetrics | None
    tracer_provider: TracerProvider | None


def instrument(
    app: Flask,
    *,
    service_name: str | None = None,
    service_version: str | None = None,
    metrics: bool | None = None,
    tracing: bool | None = None,
    json_logs: bool | None = None,
    health: bool | None = None,
    metrics_path: str | None = None,
) -> Telemetry:
    """Wire metrics, tracing, JSON logs and health endpoints into `app`; keywords beat env."""
    existing = app.extensions.get(_EXTENSION)
    if isinstance(existing, Telemetry):
        return existing
    config = TelemetryConfig.from_env(
        app.import_name.split(".")[0],
        service_name=service_name,
        service_version=service_version,
        metrics=metrics,
        tracing=tracing,
        json_logs=json_logs,
        health=health,
        metrics_path=metrics_path,
    )
    telemetry = Telemetry(config=config, health=Health(), metrics=None, tracer_provider=None)
    excluded = (*config.excluded_paths, config.metrics_path)

    # Imports are deferred so a part that is off costs nothing, not even its import.
    if config.json_logs:
        from flaskops_flask.logs import configure_json_logging

        configure_json_logging(config.service_name, config.service_version, config.log_level)
    if config.health:
        telemetry.health.init_app(app)
    if config.metrics:
        from flaskops_flask.metrics import RequestMetrics

        telemetry.metrics = RequestMetrics(
            config.service_name, config.service_version, config.excluded_paths
        )
        telemetry.metrics.init_app(app, config.metrics_path)
    if config.tracing:
        from flaskops_flask.tracing import setup_tracing

        telemetry.tracer_provider = setup_tracing(
            app, config.service_name, config.service_version, excluded
        )
    app.extensions[_EXTENSION] = telemetry
    return telemetry
