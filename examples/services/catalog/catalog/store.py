"""The catalog's data: a fixed set of items, or a JSON file named by CATALOG_ITEMS_FILE,
read-only in memory; or, with CATALOG_DB, a SQLite database that every gunicorn worker
shares and that `PUT /items/<id>` writes to (seeded with those items on first use)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter

DEFAULT_ITEMS: list[dict[str, Any]] = [
    {"id": 1, "name": "espresso beans 1kg", "price_cents": 2400},
    {"id": 2, "name": "pour-over kettle", "price_cents": 5900},
    {"id": 3, "name": "burr grinder", "price_cents": 14900},
    {"id": 4, "name": "paper filters x100", "price_cents": 650},
    {"id": 5, "name": "milk jug 600ml", "price_cents": 1800},
]
FIELDS = ("name", "price_cents")

# Every read that reaches the store: with a cache in front, the cache misses. Created in
# the default registry, which the multiprocess collector reads under gunicorn.
STORE_READS = Counter(
    "catalog_store_reads_total", "Item reads that reached the store", ["operation"]
)


class ReadOnlyStore(Exception):
    """Writes need a shared database (CATALOG_DB): per-worker memory would diverge."""


class Store(Protocol):
    def all(self) -> list[dict[str, Any]]: ...
    def get(self, item_id: int) -> dict[str, Any] | None: ...
    def put(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]: ...
    def __len__(self) -> int: ...


def load_items(path: str | None) -> list[dict[str, Any]]:
    if path is None:
        return DEFAULT_ITEMS
    items: list[dict[str, Any]] = json.loads(Path(path).read_text())
    return items


class ItemStore:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = {int(item["id"]): item for item in items}

    @classmethod
    def load(cls, path: str | None) -> ItemStore:
        return cls(load_items(path))

    def all(self) -> list[dict[str, Any]]:
        STORE_READS.labels("all").inc()
        return list(self._items.values())

    def get(self, item_id: int) -> dict[str, Any] | None:
        STORE_READS.labels("get").inc()
        return self._items.get(item_id)

    def put(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        raise ReadOnlyStore(
            "the catalog is read-only: set CATALOG_DB to a SQLite file to allow writes"
        )

    def __len__(self) -> int:
        return len(self._items)


class SqliteItemStore:
    """One connection per thread (sqlite3 connections are not shared across threads);
    `delay_ms` stands in for a remote database's round trip (CATALOG_STORE_DELAY_MS)."""

    def __init__(self, path: str, seed: list[dict[str, Any]], delay_ms: float = 0) -> None:
        self.path = path
        self.delay_s = delay_ms / 1000
        self._local = threading.local()
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, price_cents INTEGER)"
            )
            db.executemany(
                "INSERT OR IGNORE INTO items (id, name, price_cents) VALUES (:id, :name, :price_cents)",
                seed,
            )

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
            self._local.db = db
        return db

    def _query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        if self.delay_s:
            time.sleep(self.delay_s)
        return [dict(row) for row in self._db().execute(sql, args)]

    def all(self) -> list[dict[str, Any]]:
        STORE_READS.labels("all").inc()
        return self._query("SELECT id, name, price_cents FROM items ORDER BY id")

    def get(self, item_id: int) -> dict[str, Any] | None:
        STORE_READS.labels("get").inc()
        rows = self._query("SELECT id, name, price_cents FROM items WHERE id = ?", item_id)
        return rows[0] if rows else None

    def put(self, item_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        item = {
            "id": item_id,
            "name": str(fields["name"]),
            "price_cents": int(fields["price_cents"]),
        }
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO items (id, name, price_cents) VALUES (:id, :name, :price_cents)",
                item,
            )
        return item

    def __len__(self) -> int:
        (count,) = self._db().execute("SELECT count(*) FROM items").fetchone()
        return int(count)
