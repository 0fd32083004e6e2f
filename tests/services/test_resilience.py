"""No collector, or a collector that never answers: requests still succeed, fast, and the
service still stops promptly."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.prometheus import free_port
from tests.support.services import start_service


@pytest.fixture
def silent_collector() -> Iterator[str]:
    """Accepts TCP connections and never reads or answers: the worst kind of unreachable."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_unreachable_otlp_endpoint_does_not_block(kind: str, silent_collector: str) -> None:
    endpoint = silent_collector if kind == "silent" else f"http://127.0.0.1:{free_port()}"
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export attempts start at once
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "8",
    }
    svc = start_service("catalog", env)
    try:
        latencies = []
        for i in range(200):
            started = time.monotonic()
            resp = requests.get(f"{svc.url}/items/{i % 5 + 1}", timeout=5)
            latencies.append(time.monotonic() - started)
            assert resp.status_code == 200
        latencies.sort()
        # Export attempts hang or fail in the background; no request waits for them.
        assert latencies[int(len(latencies) * 0.99)] < 0.5, latencies[-5:]
    finally:
        started = time.monotonic()
        svc.stop(timeout=30)
        stop_seconds = time.monotonic() - started
    assert svc.proc.returncode == 0, svc.logs()
    assert stop_seconds < 8, f"graceful stop took {stop_seconds:.1f}s with a dead collector"
