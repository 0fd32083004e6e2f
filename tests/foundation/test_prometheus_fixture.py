"""The Prometheus fixture is a real server that scrapes loopback targets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from tests.support.prometheus import Prometheus, free_port


@pytest.fixture
def exporter() -> Iterator[tuple[int, Counter]]:
    registry = CollectorRegistry()
    counter = Counter("fixture_probe", "Counts nothing in particular.", registry=registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield port, counter
    server.shutdown()
    thread.join()


def test_prometheus_scrapes_a_loopback_target(
    prometheus: Prometheus, exporter: tuple[int, Counter]
) -> None:
    port, counter = exporter
    counter.inc(7)
    prometheus.add_target("probe", f"127.0.0.1:{port}", {"service": "probe", "track": "stable"})
    try:
        result = prometheus.wait_for(
            'fixture_probe_total{service="probe",track="stable"}', lambda r: bool(r)
        )
        assert float(result[0]["value"][1]) == 7.0
        assert result[0]["metric"]["instance"] == f"127.0.0.1:{port}"
    finally:
        prometheus.remove_target("probe")
