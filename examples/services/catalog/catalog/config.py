"""Settings from the environment (12-factor): one place that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    items_file: str | None
    # CPU work per GET /items/<id>/digest: a pure-Python endpoint the worker-model
    # measurements need beside the I/O-bound orders -> catalog call.
    digest_rounds: int = 10000
    # A SQLite file shared by the workers (writes allowed); unset: read-only items in memory.
    db_path: str | None = None
    store_delay_ms: float = 0
    # Redis for item reads (caching.py); unset: no cache.
    cache_url: str | None = None
    cache_timeout_s: int = 300
    http_max_age_s: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            items_file=env.get("CATALOG_ITEMS_FILE") or None,
            digest_rounds=_positive_int(env, "CATALOG_DIGEST_ROUNDS", 10000),
            db_path=env.get("CATALOG_DB") or None,
            store_delay_ms=float(env.get("CATALOG_STORE_DELAY_MS", "0")),
            cache_url=env.get("CATALOG_CACHE_URL") or None,
            cache_timeout_s=int(env.get("CATALOG_CACHE_TIMEOUT_S", "300")),
            http_max_age_s=int(env.get("CATALOG_HTTP_MAX_AGE_S", "0")),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value
