"""Telemetry never fails a request: OpenTelemetry drift, simulated for every private name
the fast path uses, and faults injected into the kit's own span end, encoder and exporter.

Each case runs the user's app in a fresh process (tests/telemetry/drift_driver.py) and
shows: every request gets its real status, /metrics agrees with the client, spans still
reach the real collector (through the upstream instrumentation once the fast path is
off), and exactly one warning says why, naming what differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flaskops_flask.guard import PRIVATE_HOOKS

from tests.support.otel import OtelCollector, Span
from tests.support.userapp import (
    Traffic,
    check_logs,
    check_metrics,
    check_spans,
    downstream_url,
    drive,
    guard_warnings,
    request_totals,
    server_spans,
    start_userapp,
)
from tests.support.venvs import REPO, telemetry_venv

UPSTREAM_SCOPE = "opentelemetry.instrumentation.flask"
KIT_SCOPE = "flaskops_flask"
# What the user's app answers, twice over (the driver runs plan() twice).
REAL = Counter({("/work/<int:n>", 200): 80, ("/unavailable", 503): 6, ("/boom", 500): 4})
REAL[("/call/<int:n>", 200)] = 8


def run_app(
    tmp_path: Path, collector: OtelCollector, env: dict[str, str]
) -> tuple[Traffic, str, list[dict[str, Any]], str]:
    """The app under `env`: what the client saw, /metrics, the log records, the service name."""
    service = f"drift-{uuid.uuid4().hex[:10]}"
    result = tmp_path / "result.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FLASKOPS_"))}
    full_env = clean | {
        "OTEL_SERVICE_NAME": service,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "DOWNSTREAM_URL": downstream_url(),
        "DRIFT_RESULT": str(result),
        **env,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.telemetry.drift_driver"],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads(result.read_text())
    traffic = Traffic(Counter((route, status) for route, status in data["seen"]))
    records = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return traffic, data["metrics"], records, service


def spans_of(collector: OtelCollector, service: str, at_least: int) -> list[Span]:
    def enough(spans: list[Span]) -> bool:
        return len(server_spans([s for s in spans if s.service == service])) >= at_least

    return [s for s in collector.wait_for_spans(enough) if s.service == service]


def check_requests(traffic: Traffic, metrics: str) -> None:
    assert traffic.statuses == REAL  # the real statuses, not 500s from the kit
    assert request_totals(metrics) == REAL  # and the metrics say what the client saw


def drift_cases() -> list[pytest.ParameterSet]:
    cases = [
        pytest.param(f"hide:{spec}", spec.partition(":")[2], id=spec.partition(":")[2])
        for spec in PRIVATE_HOOKS
    ]
    cases += [
        pytest.param("field:_drift_new_field", "_drift_new_field", id="Span-new-field"),
        pytest.param(
            "keyword:opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter:_transport",
            "OTLPSpanExporter() takes no _transport",
            id="OTLPSpanExporter-no-_transport",
        ),
        pytest.param("version:opentelemetry-sdk=1.46.0", "opentelemetry-sdk 1.46.0", id="sdk-1.46"),
        pytest.param(
            "module:opentelemetry.exporter.http.transport._urllib3",
            "flaskops_flask.otlp_transport",
            id="transport-module-gone",
        ),
    ]
    return cases


@pytest.mark.parametrize(("drift", "named"), drift_cases())
def test_drift_takes_the_upstream_path_with_one_warning(
    drift: str, named: str, tmp_path: Path, otel_collector: OtelCollector
) -> None:
    traffic, metrics, records, service = run_app(
        tmp_path, otel_collector, {"FLASKOPS_DRIFT": drift}
    )
    check_requests(traffic, metrics)
    spans = spans_of(otel_collector, service, sum(REAL.values()))
    check_spans(spans, traffic, service)
    check_logs(records, spans, traffic)
    assert {s.scope for s in server_spans(spans)} == {UPSTREAM_SCOPE}
    warnings = guard_warnings(records)
    assert len(warnings) == 1, warnings
    assert named in warnings[0]["message"], warnings[0]["message"]


@pytest.mark.parametrize("where", ["span_end", "encoder", "exporter"])
def test_a_fault_in_the_kit_switches_to_upstream_without_failing_a_request(
    where: str, tmp_path: Path, otel_collector: OtelCollector
) -> None:
    traffic, metrics, records, service = run_app(
        tmp_path, otel_collector, {"FLASKOPS_INJECT": where}
    )
    check_requests(traffic, metrics)
    # A span whose end raised is lost; an encoder or exporter fault re-sends the batch.
    lost = 1 if where == "span_end" else 0
    spans = spans_of(otel_collector, service, sum(REAL.values()) - lost)
    servers = server_spans(spans)
    assert len(servers) == sum(REAL.values()) - lost
    # The second round ran after the switch: all of it through FlaskInstrumentor.
    assert Counter(s.scope for s in servers)[UPSTREAM_SCOPE] >= sum(REAL.values()) // 2
    if not lost:
        check_spans(spans, traffic, service)
        check_logs(records, spans, traffic)
    warnings = guard_warnings(records)
    assert len(warnings) == 1, warnings
    assert "fast path failed in" in warnings[0]["message"]
    assert "injected fault" in warnings[0]["message"]


def test_disabled_tracers_record_no_spans(tmp_path: Path, otel_collector: OtelCollector) -> None:
    traffic, metrics, records, service = run_app(
        tmp_path, otel_collector, {"FLASKOPS_TRACERS": "disabled"}
    )
    check_requests(traffic, metrics)
    # The driver flushed before it exited; give the collector's file exporter its interval.
    time.sleep(1.0)
    assert [s for s in otel_collector.spans() if s.service == service] == []
    assert guard_warnings(records) == []
    logged = [r for r in records if str(r.get("message", "")).startswith("working on")]
    assert len(logged) == REAL[("/work/<int:n>", 200)]
    assert not any("trace_id" in r for r in logged)  # no span, so nothing to correlate


@pytest.mark.xdist_group("telemetry-lock")
def test_drift_under_gunicorn_warns_once_per_worker(
    tmp_path: Path, otel_collector: OtelCollector
) -> None:
    """The same under 2 gunicorn workers, the drift applied by a sitecustomize before
    gunicorn starts: every worker serves through the upstream path, and says so once."""
    hook = "opentelemetry.sdk.trace:SynchronousMultiSpanProcessor._on_ending"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os\nfrom tests.support.drift import apply\napply(os.environ['FLASKOPS_DRIFT'])\n"
    )
    service = f"drift-gunicorn-{uuid.uuid4().hex[:8]}"
    env = {
        "FLASKOPS_DRIFT": f"hide:{hook}",
        "PYTHONPATH": f"{site}{os.pathsep}{REPO}",
        "OTEL_SERVICE_NAME": service,
    }
    with start_userapp(telemetry_venv("lock"), otel_collector.endpoint, env) as app:
        traffic = drive(app)
        check_metrics(app, traffic)
        spans = spans_of(otel_collector, service, sum(traffic.statuses.values()))
        check_spans(spans, traffic, service)
        check_logs(app.log_records(), spans, traffic)
        assert {s.scope for s in server_spans(spans)} == {UPSTREAM_SCOPE}
        warnings = guard_warnings(app.log_records())
    assert len(warnings) == 2, warnings
    assert len({w["pid"] for w in warnings}) == 2
    assert all("SynchronousMultiSpanProcessor._on_ending" in w["message"] for w in warnings)
