"""Per-client rate limits for a blueprint with Flask-Limiter, counted in Redis.

    rate_limits = RateLimits.from_env()
    rate_limits.init_app(app, blueprint=bp)

Off unless RATELIMIT_DEFAULT is set (e.g. `100/minute`, any Flask-Limiter limit string).
RATELIMIT_STORAGE_URI names the counters' store: `redis://host:6379/0` shares one count
between every gunicorn worker and every pod. `memory://` keeps a count per worker process,
so a service with 4 workers lets about 4x the limit through: fine for one process in a
test, wrong under gunicorn (a warning says so at start).

Over the limit: 429 with `Retry-After` and `X-RateLimit-Limit/-Remaining/-Reset`.
Store unreachable (RATELIMIT_ON_STORAGE_ERROR): `open` (the default) serves the request
unlimited and logs the error; `closed` answers 503 with `Retry-After: 1`. Neither crashes.

Behind a proxy or ingress the client's address is in X-Forwarded-For: RATELIMIT_TRUSTED_PROXIES
is how many proxies append to it (werkzeug's ProxyFix), 0 (the default) trusts none, so a
client cannot pick its own key by sending the header.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from flask import Blueprint, Flask, Response, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

_MODES = ("open", "closed")


@dataclass(frozen=True)
class RateLimitSettings:
    default: str
    storage_uri: str = "memory://"
    strategy: str = "fixed-window"
    on_storage_error: str = "open"
    trusted_proxies: int = 0
    # Short: a Redis that does not answer must not hold requests for long.
    storage_timeout_s: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RateLimitSettings | None:
        env = os.environ if env is None else env
        default = env.get("RATELIMIT_DEFAULT", "").strip()
        if not default:
            return None
        mode = env.get("RATELIMIT_ON_STORAGE_ERROR", "open")
        if mode not in _MODES:
            raise ValueError(f"RATELIMIT_ON_STORAGE_ERROR={mode!r}: use 'open' or 'closed'")
        return cls(
            default=default,
            storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
            strategy=env.get("RATELIMIT_STRATEGY", "fixed-window"),
            on_storage_error=mode,
            trusted_proxies=int(env.get("RATELIMIT_TRUSTED_PROXIES", "0")),
            storage_timeout_s=float(env.get("RATELIMIT_STORAGE_TIMEOUT_S", "0.5")),
        )


class RateLimits:
    def __init__(self, settings: RateLimitSettings | None) -> None:
        self.settings = settings
        self.limiter: Limiter | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RateLimits:
        return cls(RateLimitSettings.from_env(env))

    def init_app(self, app: Flask, blueprint: Blueprint) -> None:
        s = self.settings
        if s is None:
            return
        if s.trusted_proxies:
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=s.trusted_proxies)  # type: ignore[method-assign]
        redis_options: dict[str, str | int] = {}
        if s.storage_uri.startswith(("redis://", "rediss://")):
            # limits passes these to redis-py: give up fast instead of hanging the request.
            redis_options = {
                "socket_timeout": s.storage_timeout_s,
                "socket_connect_timeout": s.storage_timeout_s,
            }  # type: ignore[dict-item]
        self.limiter = Limiter(
            get_remote_address,
            app=app,
            default_limits=[],  # only the blueprint is limited: probes and /metrics never are
            storage_uri=s.storage_uri,
            storage_options=redis_options,
            strategy=s.strategy,
            headers_enabled=True,
            swallow_errors=s.on_storage_error == "open",
            key_prefix=app.name,
        )  # fmt: skip
        # One count per client for the whole API, not one per endpoint.
        self.limiter.shared_limit(s.default, scope=blueprint.name)(blueprint)
        if s.storage_uri.startswith("memory://"):
            log.warning(
                "rate limits counted per worker process (memory://): with N gunicorn workers N times the limit gets through; use redis://"
            )
        if s.on_storage_error == "closed":
            app.register_error_handler(redis.exceptions.RedisError, _storage_down)
        log.info(
            "rate limits on",
            extra={
                "limit": s.default,
                "storage": s.storage_uri.split("@")[-1],
                "on_storage_error": s.on_storage_error,
            },
        )


def _storage_down(exc: Exception) -> tuple[Response, int, dict[str, str]]:
    log.error(
        "rate-limit storage unreachable; refusing (RATELIMIT_ON_STORAGE_ERROR=closed)",
        extra={"reason": type(exc).__name__},
    )
    body = jsonify(
        error="Service Unavailable", detail="rate-limit storage unreachable, retry shortly"
    )
    return body, 503, {"Retry-After": "1"}
