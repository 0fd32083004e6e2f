"""A user's app (tests/telemetry/userapp) under real gunicorn, driven and checked end to end.

    with start_userapp(python, collector.endpoint) as app:
        traffic = drive(app)
        check_metrics(app, traffic)
        check_spans_and_logs(app, collector, traffic)

`python` is a venv's interpreter from tests/support/venvs.py, so the app runs on the
helper as `pip install ./telemetry` installs it, at one dependency resolution.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from tests.support.otel import OtelCollector, Span
from tests.support.services import RunningService, start_service

USERAPP = Path(__file__).resolve().parents[1] / "telemetry" / "userapp"
# The stable HTTP semantic conventions every SERVER span carries, on either path.
SERVER_ATTRIBUTES = {
    "http.request.method",
    "url.path",
    "url.scheme",
    "http.route",
    "http.response.status_code",
}
GUARD_LOGGER = "flaskops.telemetry"
_SERIES = re.compile(r"^flask_http_request_total\{([^}]*)\} (\S+)$", re.M)


class Downstream:
    """Another service the app calls: answers 200 to any GET, on a free loopback port."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_downstream: Downstream | None = None


def downstream_url() -> str:
    global _downstream
    if _downstream is None:
        _downstream = Downstream()
    return _downstream.url


def start_userapp(
    python: Path, endpoint: str | None, env: dict[str, str] | None = None, workers: int = 2
) -> RunningService:
    base = {
        "DOWNSTREAM_URL": downstream_url(),
        # Sync workers: a busy worker cannot accept, so concurrent clients reach both.
        "GUNICORN_THREADS": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "SERVICE_VERSION": "0.1.0",
    }
    if endpoint is not None:
        base["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    return start_service(
        "userapp",
        {**base, **(env or {})},
        workers,
        python=python,
        conf=USERAPP / "gunicorn.conf.py",
    )


@dataclass
class Traffic:
    """What the client sent and saw: (path, route template) -> status -> count."""

    statuses: Counter[tuple[str, int]]

    def count(self, route: str, status: int) -> int:
        return self.statuses[(route, status)]


def plan(n: int = 40) -> list[tuple[str, str]]:
    """(path, route template): `n` working requests, a few 503s, 500s (the app raises)
    and outgoing calls."""
    return (
        [(f"/work/{i}", "/work/<int:n>") for i in range(n)]
        + [("/unavailable", "/unavailable")] * 3
        + [("/boom", "/boom")] * 2
        + [(f"/call/{i}", "/call/<int:n>") for i in range(4)]
    )


def drive(app: RunningService, n: int = 40) -> Traffic:
    """plan(n) from 8 threads on new connections, so that both workers serve."""

    def get(item: tuple[str, str]) -> tuple[str, int]:
        path, route = item
        return route, requests.get(app.url + path, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        return Traffic(Counter(pool.map(get, plan(n))))


def request_totals(text: str) -> Counter[tuple[str, int]]:
    """flask_http_request_total of a /metrics page, by (route, status)."""
    out: Counter[tuple[str, int]] = Counter()
    for labels, value in _SERIES.findall(text):
        parsed = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        out[(parsed["path"], int(parsed["status"]))] += int(float(value))
    return out


def check_metrics(app: RunningService, traffic: Traffic) -> None:
    """/metrics counts exactly what the client saw, status for status, over both workers."""
    assert request_totals(requests.get(f"{app.url}/metrics", timeout=5).text) == traffic.statuses
    workers = {p.stem.split("_")[-1] for p in app.multiproc_dir.glob("histogram_*.db")}
    assert len(workers) >= 2, f"requests reached {len(workers)} worker(s)"


def server_spans(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.kind in ("2", "SPAN_KIND_SERVER")]


def check_spans_and_logs(
    app: RunningService, collector: OtelCollector, traffic: Traffic
) -> list[Span]:
    expected = sum(traffic.statuses.values())
    spans = collector.wait_for_spans(lambda s: len(server_spans(s)) >= expected)
    check_spans(spans, traffic, "userapp")
    check_logs(app.log_records(), spans, traffic)
    return spans


def check_spans(spans: list[Span], traffic: Traffic, service: str) -> None:
    """Every request's SERVER span reached the collector with the stable HTTP attributes
    and the status the client saw; each outgoing call's CLIENT span is its child."""
    spans = [s for s in spans if s.service == service]
    expected = sum(traffic.statuses.values())
    servers = server_spans(spans)
    assert len(servers) == expected, f"{len(servers)} server spans for {expected} requests"
    for span in servers:
        missing = SERVER_ATTRIBUTES - set(span.attributes)
        assert not missing, f"{span.name}: missing {missing} in {span.attributes}"
        assert span.name == f"GET {span.attributes['http.route']}"
    seen = Counter(
        (s.attributes["http.route"], int(s.attributes["http.response.status_code"]))
        for s in servers
    )
    assert seen == traffic.statuses
    assert all(s.attributes.get("error.type") == "500" for s in servers if s.name == "GET /boom")
    clients = [s for s in spans if s.kind in ("3", "SPAN_KIND_CLIENT")]
    assert len(clients) == traffic.count("/call/<int:n>", 200)
    by_id = {s.span_id: s for s in spans}
    for client in clients:
        assert by_id[client.parent_span_id].name == "GET /call/<int:n>"
        assert int(client.attributes["http.response.status_code"]) == 200


def check_logs(records: list[dict[str, Any]], spans: list[Span], traffic: Traffic) -> None:
    """The app's own log lines carry the trace ids of their requests' spans."""
    work_traces = {s.trace_id for s in server_spans(spans) if s.name == "GET /work/<int:n>"}
    logged = [r for r in records if str(r.get("message", "")).startswith("working on")]
    assert len(logged) == traffic.count("/work/<int:n>", 200), (len(logged), traffic)
    assert {r.get("trace_id") for r in logged} == work_traces


def guard_warnings(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kit's warnings that tracing left (or never took) the fast path."""
    return [r for r in records if r.get("logger") == GUARD_LOGGER and r["level"] == "WARNING"]
