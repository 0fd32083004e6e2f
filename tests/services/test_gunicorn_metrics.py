"""Both services under real gunicorn with 2 workers: orders calls catalog, and /metrics
counts every request exactly once, summed over the workers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.exposition import assert_totals_are_the_histograms_counts
from tests.support.services import RunningService, start_service

SERIES = re.compile(r"^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$")


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return series(requests.get(f"{url}/metrics", timeout=5).text)


def series(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for line in text.splitlines():
        m = SERIES.match(line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
            out[(m["name"], labels)] = float(m["value"])
    return out


def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples.get((name, frozenset(labels.items())), 0.0)


def hammer(url: str, n: int) -> list[int]:
    # New connections from 8 threads, so the kernel spreads them over both workers.
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: requests.get(url, timeout=10).status_code, range(n)))


def worker_pids_with_requests(svc: RunningService) -> set[str]:
    """Workers that recorded requests: each has its own histogram file."""
    return {p.stem.split("_")[-1] for p in svc.multiproc_dir.glob("histogram_*.db")}


def test_orders_calls_catalog_and_counts_are_exact() -> None:
    # Single-threaded (sync) workers: a busy worker cannot accept, so concurrent clients
    # are bound to reach both workers (a threaded worker could take every connection).
    sync = {"GUNICORN_THREADS": "1"}
    with (
        start_service("catalog", {**sync, "SERVICE_VERSION": "1.4.0"}) as catalog,
        start_service(
            "orders", {**sync, "SERVICE_VERSION": "2.1.0", "CATALOG_URL": catalog.url}
        ) as orders,
    ):
        check_exact_counts(catalog, orders)


def check_exact_counts(catalog: RunningService, orders: RunningService) -> None:
    n = 120
    statuses = hammer(f"{orders.url}/orders/7", n)
    assert statuses == [200] * n

    body = requests.get(f"{orders.url}/orders/7", timeout=5).json()
    assert body["item"]["id"] == 3  # 7 % 5 + 1, priced by catalog
    assert body["total_cents"] == body["item"]["price_cents"] * 2

    # Requests were served by both workers of each service, and the counts are exact.
    assert len(worker_pids_with_requests(orders)) >= 2
    assert len(worker_pids_with_requests(catalog)) >= 2
    o = scrape(orders.url)
    assert (
        value(
            o, "flask_http_request_total", method="GET", path="/orders/<int:order_id>", status="200"
        )
        == n + 1
    )
    c = scrape(catalog.url)
    assert (
        value(
            c, "flask_http_request_total", method="GET", path="/items/<int:item_id>", status="200"
        )
        == n + 1
    )
    # The histogram saw the same requests, with the same labels.
    assert (
        value(
            c,
            "flask_http_request_duration_seconds_count",
            method="GET",
            path="/items/<int:item_id>",
            status="200",
        )
        == n + 1
    )
    assert value(o, "flask_exporter_info", service="orders", version="2.1.0") == 1
    assert value(c, "flask_exporter_info", service="catalog", version="1.4.0") == 1


def test_labels_use_route_templates_and_statuses(catalog: RunningService) -> None:
    for item in (1, 2, 3, 99, 100):
        requests.get(f"{catalog.url}/items/{item}", timeout=5)
    requests.get(f"{catalog.url}/no/such/path", timeout=5)
    requests.get(f"{catalog.url}/healthz", timeout=5)
    text = requests.get(f"{catalog.url}/metrics", timeout=5).text
    assert_totals_are_the_histograms_counts(text)
    samples = series(text)
    totals = {
        dict(labels)["path"]: v
        for (name, labels), v in samples.items()
        if name == "flask_http_request_total"
    }
    paths = {
        dict(labels)["path"] for (name, labels) in samples if name == "flask_http_request_total"
    }
    # Never the raw URL: five item ids are one series per status, and probes are not counted.
    assert paths == {"/items/<int:item_id>", "<unmatched>"}
    assert totals["<unmatched>"] == 1
    assert (
        value(
            samples,
            "flask_http_request_total",
            method="GET",
            path="/items/<int:item_id>",
            status="404",
        )
        == 2
    )
    assert (
        value(
            samples,
            "flask_http_request_total",
            method="GET",
            path="/items/<int:item_id>",
            status="200",
        )
        == 3
    )
