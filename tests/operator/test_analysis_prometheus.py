"""The analysis against a real Prometheus scraping loopback targets (and real gunicorn)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flaskops.analysis import AnalysisSpec, query_prometheus, run_analysis
from flaskops.rollout import Analysis, Outcome

from tests.operator.flask_metrics import FlaskMetrics
from tests.support.prometheus import Prometheus, free_port
from tests.support.services import start_service
from tests.support.tools import require

ERRORS_QUERY = (
    'sum(rate(flask_http_request_total{namespace="{{namespace}}",service="{{service}}",'
    'track="{{track}}",status=~"5.."}[{{window}}]))'
)


def spec(url: str, **extra: object) -> AnalysisSpec:
    return AnalysisSpec.from_spec(
        {
            "prometheus": {"url": url, "timeout": "2s"},
            "window": "1m",
            "successRate": {"min": 95, "abortBelow": 50},
            "latencyP99": {"maxMs": 500, "abortAboveMs": 2000},
            **extra,
        }
    )


def by_name(analysis: Analysis) -> dict[str, tuple[float | None, Outcome, bool, str]]:
    return {c.name: (c.value, c.outcome, c.severe, c.detail) for c in analysis.checks}


@pytest.fixture
def ns() -> str:
    return f"shop-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def tracks(prometheus: Prometheus, ns: str) -> Iterator[tuple[FlaskMetrics, FlaskMetrics]]:
    """A stable and a canary endpoint of service "orders" in namespace `ns`, scraped."""
    stable, canary = FlaskMetrics(), FlaskMetrics()
    for status in ("200", "404", "500"):  # series exist at 0 before any traffic
        stable.add(status, 0, 0.05)
        canary.add(status, 0, 0.05)
    for track, endpoint in (("stable", stable), ("canary", canary)):
        labels = {"namespace": ns, "service": "orders", "track": track}
        prometheus.add_target(f"{ns}-{track}", endpoint.address, labels)
    prometheus.wait_for(
        f'flask_http_request_total{{namespace="{ns}"}}', lambda r: len(r) == 6, timeout=30
    )
    yield stable, canary
    for track, endpoint in (("stable", stable), ("canary", canary)):
        prometheus.remove_target(f"{ns}-{track}")
        endpoint.close()


def _wait_for_traffic(prometheus: Prometheus, ns: str, track: str) -> None:
    prometheus.wait_for(
        f'sum(rate(flask_http_request_total{{namespace="{ns}",track="{track}"}}[1m])) > 0',
        lambda r: len(r) == 1,
    )


def test_success_rate_and_p99_are_measured_per_track(
    prometheus: Prometheus, ns: str, tracks: tuple[FlaskMetrics, FlaskMetrics]
) -> None:
    stable, canary = tracks
    # Canary: 100 requests, 10 of them 5xx (a 404 is a success); 98 fast, 2 at 0.4 s.
    canary.add("200", 88, 0.05)
    canary.add("404", 2, 0.4)
    canary.add("500", 10, 0.05)
    stable.add("200", 1000, 0.05)
    _wait_for_traffic(prometheus, ns, "canary")
    _wait_for_traffic(prometheus, ns, "stable")
    s = spec(prometheus.url, checks=[{"name": "errors", "query": ERRORS_QUERY, "max": 0}])

    result = by_name(run_analysis(s, ns, "orders", now=1.0))
    value, outcome, severe, _ = result["successRate"]
    assert value == pytest.approx(90.0, rel=1e-9)
    assert (outcome, severe) == (Outcome.FAIL, False)
    value, outcome, _, _ = result["latencyP99"]
    # histogram_quantile: rank 99 of 100 falls halfway through the (0.25, 0.5] bucket.
    assert value == pytest.approx(375.0, rel=1e-9)
    assert outcome is Outcome.PASS
    assert result["errors"][1] is Outcome.FAIL
    assert result["errors"][0] is not None
    assert result["errors"][0] > 0

    healthy = run_analysis(s, ns, "orders", now=2.0, track="stable")
    assert healthy.verdict is Outcome.PASS
    assert by_name(healthy)["successRate"][0] == pytest.approx(100.0)
    assert by_name(healthy)["latencyP99"][0] == pytest.approx(99.0)  # 0.099 s: bucket ≤ 0.1
    assert by_name(healthy)["errors"][0] == 0.0


def test_a_severe_breach_is_flagged(
    prometheus: Prometheus, ns: str, tracks: tuple[FlaskMetrics, FlaskMetrics]
) -> None:
    _, canary = tracks
    canary.add("200", 40, 3.0)  # every request beyond the largest bucket
    canary.add("500", 60, 3.0)
    _wait_for_traffic(prometheus, ns, "canary")
    analysis = run_analysis(spec(prometheus.url), ns, "orders", now=1.0)
    result = by_name(analysis)
    assert result["successRate"][0] == pytest.approx(40.0)
    assert result["successRate"][1:3] == (Outcome.FAIL, True)
    # histogram_quantile answers the largest finite bound (1 s) when rank is in +Inf.
    assert result["latencyP99"][0] == pytest.approx(1000.0)
    assert analysis.severe


def test_zero_traffic_is_inconclusive(
    prometheus: Prometheus, ns: str, tracks: tuple[FlaskMetrics, FlaskMetrics]
) -> None:
    # Series exist (at 0) but nothing was served in the window.
    errors_only = spec(prometheus.url, checks=[{"name": "errors", "query": ERRORS_QUERY, "max": 0}])
    analysis = run_analysis(errors_only, ns, "orders", now=1.0)
    assert analysis.verdict is Outcome.INCONCLUSIVE
    # Without the traffic guard "errors <= 0" would have passed on a canary nobody called.
    assert all(c.outcome is Outcome.INCONCLUSIVE for c in analysis.checks)
    assert "no canary traffic" in analysis.checks[0].detail


def test_a_service_without_series_is_inconclusive(prometheus: Prometheus) -> None:
    analysis = run_analysis(spec(prometheus.url), "nowhere", "ghost", now=1.0)
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert "no data" in analysis.checks[0].detail


def test_a_bad_custom_query_is_inconclusive_and_the_others_still_run(
    prometheus: Prometheus, ns: str, tracks: tuple[FlaskMetrics, FlaskMetrics]
) -> None:
    _, canary = tracks
    canary.add("200", 100, 0.05)
    _wait_for_traffic(prometheus, ns, "canary")
    s = spec(prometheus.url, checks=[{"name": "broken", "query": "sum(", "max": 1}])
    result = by_name(run_analysis(s, ns, "orders", now=1.0))
    # A ratio of two rates: Prometheus may answer 99.99999999999999 for all-2xx traffic.
    assert result["successRate"][0] == pytest.approx(100.0)
    assert result["successRate"][1] is Outcome.PASS
    assert result["broken"][1] is Outcome.INCONCLUSIVE
    assert "HTTP 400" in result["broken"][3]


def test_query_prometheus_reads_one_value_or_none(prometheus: Prometheus) -> None:
    assert query_prometheus(prometheus.url, "1 + 1", timeout=5) == 2.0
    assert query_prometheus(prometheus.url, "vector(3)", timeout=5) == 3.0
    assert query_prometheus(prometheus.url, "vector(1) / 0 * 0", timeout=5) is None  # NaN
    assert query_prometheus(prometheus.url, 'absent_series{x="y"}', timeout=5) is None
    two = 'label_replace(vector(1), "a", "1", "", "") or label_replace(vector(2), "a", "2", "", "")'
    assert query_prometheus(prometheus.url, two, timeout=5) is None
    assert query_prometheus(prometheus.url, "sum(", timeout=5) is None


def test_unreachable_prometheus_is_inconclusive_at_once() -> None:
    start = time.monotonic()
    analysis = run_analysis(spec(f"http://127.0.0.1:{free_port()}"), "ns", "orders", now=1.0)
    assert time.monotonic() - start < 2
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert "unreachable" in analysis.checks[0].detail


def test_a_prometheus_that_never_answers_times_out_as_inconclusive() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        s = AnalysisSpec.from_spec({"prometheus": {"url": url, "timeout": "500ms"}})
        start = time.monotonic()
        analysis = run_analysis(s, "ns", "orders", now=1.0)
        assert time.monotonic() - start < 3  # one timeout, not one per check
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert "timed out" in analysis.checks[0].detail


def test_a_stopped_prometheus_is_inconclusive(tmp_path: Path) -> None:
    own = Prometheus(require("prometheus"), tmp_path)
    try:
        assert query_prometheus(own.url, "vector(1)", timeout=5) == 1.0
    finally:
        own.stop()
    analysis = run_analysis(spec(own.url), "ns", "orders", now=1.0)
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert "unreachable" in analysis.checks[0].detail


def _load(urls: list[str], stop: threading.Event) -> None:
    session = requests.Session()
    while not stop.is_set():
        for url in urls:
            session.get(url, timeout=5)
        time.sleep(0.01)


def test_real_gunicorn_canary_with_errors_fails_and_stable_passes(
    prometheus: Prometheus, ns: str
) -> None:
    """The reference service under gunicorn, with its error knob on the canary."""
    faulty = {"SERVICE_VERSION": "2.0.0", "FAULT_ERROR_RATE": "0.5"}
    with (
        start_service("catalog", {"SERVICE_VERSION": "1.0.0"}) as stable,
        start_service("catalog", faulty) as canary,
    ):
        for track, svc in (("stable", stable), ("canary", canary)):
            labels = {"namespace": ns, "service": "catalog", "track": track}
            prometheus.add_target(f"{ns}-{track}", f"127.0.0.1:{svc.port}", labels)
        stop = threading.Event()
        load = threading.Thread(
            target=_load, args=([f"{stable.url}/items/1", f"{canary.url}/items/1"], stop)
        )
        load.start()
        try:
            prometheus.wait_for(
                f'count(rate(flask_http_request_total{{namespace="{ns}"}}[1m]) > 0)',
                lambda r: bool(r) and float(r[0]["value"][1]) >= 3,  # 200s both, 500s canary
            )
            time.sleep(3)  # a few more scrapes so rates settle
            s = spec(prometheus.url)
            bad = run_analysis(s, ns, "catalog", now=1.0)
            good = run_analysis(s, ns, "catalog", now=1.0, track="stable")
        finally:
            stop.set()
            load.join()
            for track in ("stable", "canary"):
                prometheus.remove_target(f"{ns}-{track}")
    rate = by_name(bad)["successRate"][0]
    assert rate is not None
    assert 40 <= rate <= 60, rate
    assert bad.verdict is Outcome.FAIL
    assert good.verdict is Outcome.PASS, good
    assert by_name(good)["successRate"][0] == pytest.approx(100.0)


def test_a_new_canary_is_judged_on_its_own_revision_not_the_previous_canarys(
    prometheus: Prometheus, ns: str
) -> None:
    """Right after a promotion the previous canary's series (same track="canary") are still
    inside the rate() window: selected by track alone, its healthy traffic would pass the
    new, faulty canary. The revision label (the monitors' relabeling of the pods'
    flaskops.io/revision) keeps them apart."""
    previous, current = FlaskMetrics(), FlaskMetrics()
    for endpoint in (previous, current):
        for status in ("200", "500"):  # series exist at 0 before any traffic
            endpoint.add(status, 0, 0.05)
    for revision, endpoint in (("rev-old", previous), ("rev-new", current)):
        labels = {"namespace": ns, "service": "orders", "track": "canary", "revision": revision}
        prometheus.add_target(f"{ns}-{revision}", endpoint.address, labels)
    try:
        prometheus.wait_for(
            f'flask_http_request_total{{namespace="{ns}"}}', lambda r: len(r) == 4, timeout=30
        )
        previous.add("200", 2000, 0.05)
        current.add("200", 50, 0.05)
        current.add("500", 50, 0.05)
        prometheus.wait_for(
            f'sum by (revision) (rate(flask_http_request_total{{namespace="{ns}"}}[1m])) > 0',
            lambda r: len(r) == 2,
            timeout=30,
        )
        s = spec(prometheus.url)
        mixed = by_name(run_analysis(s, ns, "orders", now=1.0))
        # The bug this guards against: (2000 + 50) / 2100 passes the 95 % bound.
        assert mixed["successRate"][1] is Outcome.PASS
        own = by_name(run_analysis(s, ns, "orders", now=1.0, revision="rev-new"))
        assert own["successRate"][0] == pytest.approx(50.0, rel=1e-9)
        assert own["successRate"][1] is Outcome.FAIL
        gone = run_analysis(s, ns, "orders", now=1.0, revision="rev-unscraped")
        # New pods not scraped yet: no traffic of theirs, so inconclusive, never a pass.
        assert gone.verdict is Outcome.INCONCLUSIVE
    finally:
        for revision, endpoint in (("rev-old", previous), ("rev-new", current)):
            prometheus.remove_target(f"{ns}-{revision}")
            endpoint.close()
