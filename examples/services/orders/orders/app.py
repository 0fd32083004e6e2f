"""Application factory: `gunicorn 'orders.app:create_app()'`."""

from __future__ import annotations

from flask import Flask
from flaskops_flask import instrument
from flaskops_flask.errors import register_json_errors
from flaskops_flask.faults import Faults

from orders.api import bp
from orders.catalog_client import CatalogClient
from orders.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("orders")
    catalog = CatalogClient(settings.catalog_url, settings.catalog_timeout_s)
    app.extensions["orders.catalog"] = catalog

    # Name and version come from OTEL_SERVICE_NAME / SERVICE_VERSION / OTEL_RESOURCE_ATTRIBUTES
    # (what the chart sets); the app name is only the fallback.
    telemetry = instrument(app)
    app.config["SERVICE_VERSION"] = telemetry.config.service_version
    telemetry.health.register("catalog", catalog.ready)

    # Faults apply to the API only: probes and /metrics must keep telling the truth.
    Faults.from_env().init_app(app, blueprint=bp.name)
    app.register_blueprint(bp)
    register_json_errors(app)

    return app
