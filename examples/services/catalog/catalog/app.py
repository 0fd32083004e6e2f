"""Application factory: `gunicorn 'catalog.app:create_app()'`."""

from __future__ import annotations

from flask import Flask
from flaskops_flask import instrument
from flaskops_flask.errors import register_json_errors
from flaskops_flask.faults import Faults

from catalog.api import bp
from catalog.config import Settings
from catalog.store import ItemStore


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("catalog")
    store = ItemStore.load(settings.items_file)
    app.extensions["catalog.store"] = store
    app.config["DIGEST_ROUNDS"] = settings.digest_rounds

    # Name and version come from OTEL_SERVICE_NAME / SERVICE_VERSION / OTEL_RESOURCE_ATTRIBUTES
    # (what the chart sets); the app name is only the fallback.
    telemetry = instrument(app)
    app.config["SERVICE_VERSION"] = telemetry.config.service_version
    telemetry.health.register("items-loaded", lambda: len(store) > 0)

    # Faults apply to the API only: probes and /metrics must keep telling the truth.
    Faults.from_env().init_app(app, blueprint=bp.name)
    app.register_blueprint(bp)
    register_json_errors(app)

    return app
