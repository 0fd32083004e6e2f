"""Application factory: `gunicorn 'orders.app:create_app()'`."""

from __future__ import annotations

from flask import Flask
from flaskops_flask import instrument
from flaskops_flask.errors import register_json_errors
from flaskops_flask.faults import Faults
from service_kit.auth import Auth
from service_kit.ratelimit import RateLimits

from orders.api import ROLES, bp
from orders.catalog_client import CatalogClient
from orders.config import Settings
from orders.service_token import ServiceToken


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("orders")
    creds = settings.catalog_credentials
    catalog = CatalogClient(
        settings.catalog_url, settings.catalog_timeout_s, ServiceToken(creds) if creds else None
    )
    app.extensions["orders.catalog"] = catalog

    # Name and version come from OTEL_SERVICE_NAME / SERVICE_VERSION / OTEL_RESOURCE_ATTRIBUTES
    # (what the chart sets); the app name is only the fallback.
    telemetry = instrument(app)
    app.config["SERVICE_VERSION"] = telemetry.config.service_version
    telemetry.health.register("catalog", catalog.ready)

    # Faults apply to the API only: probes and /metrics must keep telling the truth.
    Faults.from_env().init_app(app, blueprint=bp.name)
    # Each is off unless configured (AUTH_*, RATELIMIT_*): see examples/services/common.
    Auth.from_env(ROLES).init_app(app, blueprint=bp.name)
    RateLimits.from_env().init_app(app, blueprint=bp)
    app.register_blueprint(bp)
    register_json_errors(app)

    return app
