"""Application factory: `gunicorn 'catalog.app:create_app()'`."""

from __future__ import annotations

from flask import Flask
from flaskops_flask import instrument
from flaskops_flask.errors import register_json_errors
from flaskops_flask.faults import Faults
from service_kit.auth import Auth
from service_kit.ratelimit import RateLimits

from catalog.api import ROLES, bp
from catalog.caching import cached_store
from catalog.config import Settings
from catalog.http_cache import init_http_cache
from catalog.store import ItemStore, SqliteItemStore, Store, load_items


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("catalog")
    store: Store = (
        SqliteItemStore(settings.db_path, load_items(settings.items_file), settings.store_delay_ms)
        if settings.db_path
        else ItemStore.load(settings.items_file)
    )
    app.extensions["catalog.store"] = cached_store(
        app, store, settings.cache_url, settings.cache_timeout_s
    )
    app.config["DIGEST_ROUNDS"] = settings.digest_rounds

    # Name and version come from OTEL_SERVICE_NAME / SERVICE_VERSION / OTEL_RESOURCE_ATTRIBUTES
    # (what the chart sets); the app name is only the fallback.
    telemetry = instrument(app)
    app.config["SERVICE_VERSION"] = telemetry.config.service_version
    telemetry.health.register("items-loaded", lambda: len(store) > 0)

    # Faults apply to the API only: probes and /metrics must keep telling the truth.
    Faults.from_env().init_app(app, blueprint=bp.name)
    # Each is off unless configured (AUTH_*, RATELIMIT_*): see examples/services/common.
    Auth.from_env(ROLES).init_app(app, blueprint=bp.name)
    RateLimits.from_env().init_app(app, blueprint=bp)
    init_http_cache(app, bp.name, settings.http_max_age_s)
    app.register_blueprint(bp)
    register_json_errors(app)

    return app
