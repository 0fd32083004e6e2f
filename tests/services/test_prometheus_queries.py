"""A real Prometheus scrapes both services; the canary analysis queries (the shared
contract) return the expected success rate and p99 for a good and a bad version."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.prometheus import Prometheus
from tests.support.services import RunningService, start_service

WINDOW = "1m"


def success_rate(ns: str, service: str, track: str) -> str:
    sel = f'namespace="{ns}",service="{service}",track="{track}"'
    return (
        f'100 * sum(rate(flask_http_request_total{{{sel},status!~"5.."}}[{WINDOW}]))'
        f" / sum(rate(flask_http_request_total{{{sel}}}[{WINDOW}]))"
    )


def p99_ms(ns: str, service: str, track: str) -> str:
    sel = f'namespace="{ns}",service="{service}",track="{track}"'
    return (
        "1000 * histogram_quantile(0.99, sum by (le) "
        f"(rate(flask_http_request_duration_seconds_bucket{{{sel}}}[{WINDOW}])))"
    )


def drive(url: str, seconds: float, clients: int = 4) -> list[int]:
    """Steady traffic from a few clients, so several scrapes see the counters grow."""
    statuses: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(_: int) -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            code = session.get(url, timeout=10).status_code
            with lock:
                statuses.append(code)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return statuses


def scrape_as(prometheus: Prometheus, svc: RunningService, ns: str, name: str, track: str) -> None:
    prometheus.add_target(
        f"{ns}-{name}-{track}",
        f"127.0.0.1:{svc.port}",
        {"namespace": ns, "service": name, "track": track},
    )


def value(prometheus: Prometheus, promql: str) -> float:
    result = prometheus.wait_for(promql, lambda r: len(r) == 1)
    return float(result[0]["value"][1])


def test_success_rate_and_p99_for_good_and_bad_versions(
    prometheus: Prometheus, catalog: RunningService
) -> None:
    ns = f"svc-{uuid.uuid4().hex[:6]}"
    common = {"CATALOG_URL": catalog.url}
    with (
        start_service("orders", {**common, "SERVICE_VERSION": "1.0.0"}) as stable,
        start_service(
            "orders",
            {
                **common,
                "SERVICE_VERSION": "1.1.0",
                "FAULT_ERROR_RATE": "0.5",
                # Far inside the (1, 2.5] s bucket: a host stall of over a second
                # would be needed to push a request out of it. Close to a bucket's
                # upper bound, one stalled request in a hundred moved the p99.
                "FAULT_LATENCY_MS": "1100",
            },
        ) as canary,
    ):
        scrape_as(prometheus, stable, ns, "orders", "stable")
        scrape_as(prometheus, canary, ns, "orders", "canary")
        scrape_as(prometheus, catalog, ns, "catalog", "stable")
        prometheus.wait_for(f'up{{namespace="{ns}"}} == 1', lambda r: len(r) == 3, timeout=30)
        results: dict[str, list[int]] = {}
        threads = [
            threading.Thread(
                target=lambda t=t, s=s, n=n: results.__setitem__(
                    t, drive(f"{s.url}/orders/3", 8, n)
                )
            )
            # 8 clients on the slow canary (as many as its 2 workers x 4 threads serve
            # at once) for enough requests that the 50% error rate shows within 3 points.
            for t, s, n in (("stable", stable, 4), ("canary", canary, 8))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(3)  # a few more scrapes after the last request

        assert set(results["stable"]) == {200}
        canary_errors = results["canary"].count(500) / len(results["canary"])
        assert abs(canary_errors - 0.5) < 0.05, canary_errors  # what the clients saw

        assert value(prometheus, success_rate(ns, "orders", "stable")) == pytest.approx(100.0)
        canary_rate = value(prometheus, success_rate(ns, "orders", "canary"))
        assert abs(canary_rate - 50.0) < 3, canary_rate

        # Every canary request sleeps 1.1 s, so all land in the (1, 2.5] bucket and
        # histogram_quantile interpolates 1 + 0.99 * 1.5 s.
        assert abs(value(prometheus, p99_ms(ns, "orders", "canary")) - 2485.0) < 0.5
        assert value(prometheus, p99_ms(ns, "orders", "stable")) < 250
        # catalog served both tracks' calls and never failed.
        assert value(prometheus, success_rate(ns, "catalog", "stable")) == pytest.approx(100.0)
