"""A loopback /metrics endpoint exposing the Flask services' series with exact counts.

The analysis tests need known numbers (a success rate of exactly 90 %, a p99 of exactly
375 ms). Real services give approximate ones; this endpoint serves the same metric names
and labels with counts the test sets, and every scrape sees one consistent snapshot, so
rate() ratios come out exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from tests.support.prometheus import free_port

BUCKETS = (0.1, 0.25, 0.5, 1.0)
LABELS = ("method", "path", "status")


class FlaskMetrics:
    """requests[status] -> count; durations: observation counts per bucket upper bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, float] = {}
        self._buckets: dict[float, float] = dict.fromkeys(BUCKETS, 0.0)
        self.registry = CollectorRegistry()
        self.registry.register(self)  # type: ignore[arg-type]  # duck-typed collector
        self.port = free_port()
        self._server, self._thread = start_http_server(
            self.port, addr="127.0.0.1", registry=self.registry
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(self, status: str, count: int, seconds: float) -> None:
        """Record `count` requests answered with `status`, each taking `seconds`."""
        bound = next((b for b in BUCKETS if seconds <= b), float("inf"))
        with self._lock:
            self._requests[status] = self._requests.get(status, 0) + count
            self._buckets[bound] = self._buckets.get(bound, 0) + count

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            requests, buckets = dict(self._requests), dict(self._buckets)
        total = CounterMetricFamily("flask_http_request", "Requests.", labels=LABELS)
        for status, count in sorted(requests.items()):
            total.add_metric(["GET", "/items/<int:item_id>", status], count)
        yield total
        cumulative, rows = 0.0, []
        for bound in sorted(buckets):
            cumulative += buckets[bound]
            rows.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
        if rows[-1][0] != "+Inf":
            rows.append(("+Inf", cumulative))
        hist = HistogramMetricFamily(
            "flask_http_request_duration_seconds", "Latency.", labels=LABELS
        )
        hist.add_metric(["GET", "/items/<int:item_id>", "200"], rows, sum_value=0.0)
        yield hist

    def describe(self) -> list[Any]:
        return []

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
