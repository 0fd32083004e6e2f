"""Item reads cached in Redis (Flask-Caching's RedisCache), invalidated on write.

Off unless CATALOG_CACHE_URL is set (`redis://host:6379/1`). Reads look in the cache
first and fill it on a miss; `put` writes the store, then deletes the keys that could hold
the old value (the item and the list). A cache that does not answer is skipped (the store
answers, a warning is logged): the cache may cost speed, never a request.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_caching import Cache
from redis.exceptions import RedisError

from catalog.store import Store

log = logging.getLogger(__name__)
_ALL = "items:all"


def _item_key(item_id: int) -> str:
    return f"item:{item_id}"


class CachedStore:
    """The Store interface, with Redis in front of it."""

    def __init__(self, store: Store, cache: Cache) -> None:
        self.store, self.cache = store, cache

    def _get(self, key: str) -> Any:
        try:
            return self.cache.get(key)
        except RedisError as exc:
            log.warning(
                "cache unreachable, reading the store", extra={"reason": type(exc).__name__}
            )
            return None

    def _set(self, key: str, value: Any) -> None:
        try:
            self.cache.set(key, value)
        except RedisError as exc:
            log.warning("cache unreachable, not filled", extra={"reason": type(exc).__name__})

    def all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] | None = self._get(_ALL)
        if items is None:
            items = self.store.all()
            self._set(_ALL, items)
        return items

    def get(self, item_id: int) -> dict[str, Any] | None:
        # A miss for an unknown id is not cached: the id may be created next.
        item: dict[str, Any] | None = self._get(_item_key(item_id))
        if item is None:
            item = self.store.get(item_id)
            if item is not None:
                self._set(_item_key(item_id), item)
        return item

    def put(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        item = self.store.put(item_id, fields)
        # Delete after the write: a reader in between refills from the new row. (A reader
        # that read the old row just before the write can still refill it; the timeout,
        # CATALOG_CACHE_TIMEOUT_S, bounds how long such a stale entry lives.)
        try:
            self.cache.delete_many(_item_key(item_id), _ALL)
        except RedisError:
            log.error(
                "cache unreachable, stale entries expire after the timeout",
                extra={"item_id": item_id},
            )
        return item

    def __len__(self) -> int:
        return len(self.store)


def cached_store(app: Flask, store: Store, url: str | None, timeout_s: int) -> Store:
    """`store` itself when no cache URL is set, else the store behind a Redis cache."""
    if not url:
        return store
    cache = Cache(
        app,
        config={
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": url,
            "CACHE_KEY_PREFIX": "catalog:",
            "CACHE_DEFAULT_TIMEOUT": timeout_s,
            "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        },
    )
    return CachedStore(store, cache)
