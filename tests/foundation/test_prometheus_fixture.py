"""The Prometheus fixture is a real server that scrapes loopback targets, and it is the
pinned Prometheus 3 built by `make tools`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, start_http_server

from tests.support.prometheus import Prometheus, free_port
from tests.support.tools import REPO, require


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


def pinned_release() -> str:
    """hack/versions.env's PROMETHEUS_VERSION (module v0.3YY.Z) as the release 3.YY.Z."""
    pins = dict(
        line.split("=", 1)
        for line in (REPO / "hack/versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    minor, patch = pins["PROMETHEUS_VERSION"].removeprefix("v0.").split(".")
    return f"{minor[0]}.{int(minor[1:])}.{patch}"


@pytest.mark.parametrize("binary", ["prometheus", "promtool"])
def test_the_tests_run_the_pinned_prometheus_3(binary: str) -> None:
    release = pinned_release()
    assert release.startswith("3."), release
    out = subprocess.run(
        [require(binary), "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.splitlines()[0].startswith(f"{binary}, version {release} "), out.stdout


def test_no_doc_sends_readers_to_debians_prometheus() -> None:
    """The docs name the same Prometheus the tests run: `make tools` builds it, so none
    asks for Debian's 2.x package."""
    docs = [REPO / "README.md", *REPO.glob("docs/**/*.md"), *REPO.glob("examples/**/*.md")]
    apt = re.compile(r"apt(?:-get)? install[^`\n]*\bprometheus\b")
    offenders = [str(p.relative_to(REPO)) for p in docs if apt.search(p.read_text())]
    assert offenders == [], f"these still install Debian's Prometheus: {offenders}"
