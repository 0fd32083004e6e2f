"""catalog's read cache on a real Redis and its HTTP validators: the second read comes from
Redis (the store's own read counter does not move), a write invalidates, If-None-Match
gets 304, and a cache that is down costs speed, never an answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.prometheus import free_port
from tests.support.redis import RedisServer
from tests.support.services import RunningService, start_service

pytestmark = pytest.mark.xdist_group("caching")


def store_reads(svc: RunningService, operation: str) -> float:
    """catalog_store_reads_total: the reads that reached SQLite (summed over the workers)."""
    text = requests.get(f"{svc.url}/metrics", timeout=5).text
    m = re.search(rf'^catalog_store_reads_total{{operation="{operation}"}} (\S+)$', text, re.M)
    return float(m[1]) if m else 0.0


@pytest.fixture
def catalog(tmp_path: Path, redis_url: str) -> Iterator[RunningService]:
    env = {"CATALOG_DB": str(tmp_path / "catalog.db"), "CATALOG_CACHE_URL": redis_url}
    with start_service("catalog", env) as svc:
        yield svc


def test_second_read_is_served_from_redis_and_a_write_invalidates(
    catalog: RunningService, redis_server: RedisServer
) -> None:
    for _ in range(3):
        assert requests.get(f"{catalog.url}/items/3", timeout=5).json()["price_cents"] == 14900
    assert store_reads(catalog, "get") == 1  # one miss, then two hits, whichever worker answered
    assert redis_server.client().exists("catalog:item:3") == 1
    requests.get(f"{catalog.url}/items", timeout=5)
    requests.get(f"{catalog.url}/items", timeout=5)
    assert store_reads(catalog, "all") == 1

    resp = requests.put(
        f"{catalog.url}/items/3", json={"name": "burr grinder", "price_cents": 12900}, timeout=5
    )
    assert resp.status_code == 200, resp.text
    assert redis_server.client().exists("catalog:item:3", "catalog:items:all") == 0
    assert requests.get(f"{catalog.url}/items/3", timeout=5).json()["price_cents"] == 12900
    listed = requests.get(f"{catalog.url}/items", timeout=5).json()["items"]
    assert {i["id"]: i["price_cents"] for i in listed}[3] == 12900
    assert (store_reads(catalog, "get"), store_reads(catalog, "all")) == (2, 2)


def test_etag_and_304(catalog: RunningService) -> None:
    first = requests.get(f"{catalog.url}/items/2", timeout=5)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = requests.get(f"{catalog.url}/items/2", headers={"If-None-Match": etag}, timeout=5)
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)

    requests.put(
        f"{catalog.url}/items/2", json={"name": "pour-over kettle", "price_cents": 5500}, timeout=5
    )
    changed = requests.get(f"{catalog.url}/items/2", headers={"If-None-Match": etag}, timeout=5)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["price_cents"] == 5500


def test_cache_down_costs_speed_not_answers(tmp_path: Path) -> None:
    env = {
        "CATALOG_DB": str(tmp_path / "c.db"),
        "CATALOG_CACHE_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    with start_service("catalog", env) as svc:
        for _ in range(3):
            assert requests.get(f"{svc.url}/items/1", timeout=5).status_code == 200
        assert requests.put(
            f"{svc.url}/items/1", json={"name": "beans", "price_cents": 1}, timeout=5
        ).ok
        assert store_reads(svc, "get") == 3
        assert "cache unreachable, reading the store" in svc.logs()
