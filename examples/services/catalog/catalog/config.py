"""Settings from the environment (12-factor): one place that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    items_file: str | None
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
            db_path=env.get("CATALOG_DB") or None,
            store_delay_ms=float(env.get("CATALOG_STORE_DELAY_MS", "0")),
            cache_url=env.get("CATALOG_CACHE_URL") or None,
            cache_timeout_s=int(env.get("CATALOG_CACHE_TIMEOUT_S", "300")),
            http_max_age_s=int(env.get("CATALOG_HTTP_MAX_AGE_S", "0")),
        )
