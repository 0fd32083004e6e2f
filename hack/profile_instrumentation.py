"""Where does instrument()'s cost go? Parts switched on and off in one process, in turns.

    uv run --frozen python hack/profile_instrumentation.py orders|catalog [--cycles 40]

The reference service's app runs in this process, fully instrumented (spans to a real
OpenTelemetry Collector; for orders, a bare catalog under gunicorn on the other core).
Requests are driven straight through its WSGI callable, and every `--block` requests the
configuration changes: the tracing middleware, the client spans, the recording span of
sampled requests, the span processors, the metrics middleware and the JSON log handler
are bypassed or put back. CPU time is summed per configuration over all cycles, so a
drift in the host's speed (tens of percent from one minute to the next here) falls evenly
on every configuration, which separate benchmark runs cannot promise. docs/benchmarks.md explains what it found.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.otel import OtelCollector  # noqa: E402
from tests.support.services import start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

# configuration -> parts switched off
CONFIGS: dict[str, set[str]] = {
    "bare": {"tracing", "metrics", "logs"},
    "instrumented": set(),
    "no tracing": {"tracing"},
    "no export": {"export"},
    "no shortcuts": {"shortcuts"},
    "no recording span": {"recording span"},
    "no client spans": {"client spans"},
    "no metrics": {"metrics"},
    "no logs": {"logs"},
}
BARE_ENV = {"FLASKOPS_METRICS": "0", "FLASKOPS_TRACING": "0", "FLASKOPS_JSON_LOGS": "0"}


class Switchboard:
    """Handles on each part of an instrumented app, to take it out and put it back."""

    def __init__(self, app: Any) -> None:
        import requests
        from flaskops_flask import client_spans
        from opentelemetry.propagate import inject

        self.app = app
        self.middleware = app.wsgi_app  # server_spans.ServerSpans, around
        self.timer = self.middleware.wrapped  # metrics' _Timer, around
        self.flask_wsgi = self.timer.wrapped  # Flask's own wsgi_app
        self.session_cls = requests.Session
        self.client_spans = requests.Session.send  # flaskops_flask.client_spans' wrapper
        self.original_send = self.client_spans.__wrapped__
        provider = app.extensions["flaskops"].tracer_provider
        self.processors = provider._active_span_processor
        self.span_processors = self.processors._span_processors
        self.w3c_propagation = self.middleware.w3c_propagation
        self.limits = self.middleware.limits
        self.client_module = client_spans
        self.propagate_unsampled = client_spans._propagate_unsampled
        self.inject_only = lambda _, headers, active: inject(headers, active)  # the SDK's path
        self.root = logging.getLogger()
        self.handlers = list(self.root.handlers)

    def set(self, off: set[str]) -> None:
        inner = self.flask_wsgi if "metrics" in off else self.timer
        self.middleware.wrapped = inner
        tracing = "tracing" not in off
        self.app.wsgi_app = self.middleware if tracing else inner
        if not tracing or "client spans" in off:
            self.session_cls.send = self.original_send
        else:
            self.session_cls.send = self.client_spans
        shortcuts = "shortcuts" not in off
        # The shortcuts of flaskops_flask.w3c (server and client) and root_sampling (which
        # the server takes only when w3c's conditions hold) off: the SDK's general path.
        self.middleware.w3c_propagation = self.w3c_propagation if shortcuts else lambda: False
        self.client_module._propagate_unsampled = (
            self.propagate_unsampled if shortcuts else self.inject_only
        )
        # flaskops_flask.recording_span off: sampled requests get the SDK's span.
        self.middleware.limits = None if "recording span" in off else self.limits
        self.processors._span_processors = () if "export" in off else self.span_processors
        self.root.handlers = [] if "logs" in off else self.handlers


def environ_factory(path: str, parent_sampling: float | None) -> Callable[[], dict[str, Any]]:
    def environ() -> dict[str, Any]:
        env = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "SERVER_NAME": "bench",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "QUERY_STRING": "",
            "HTTP_HOST": "bench",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        if parent_sampling is not None:  # as a caller would send it: the SDK's ids are
            # marked random (W3C level 2's flag 02), sampled or not
            flags = "03" if random.random() < parent_sampling else "02"
            trace, span = random.getrandbits(128), random.getrandbits(64)
            env["HTTP_TRACEPARENT"] = f"00-{trace:032x}-{span:016x}-{flags}"
        return env

    return environ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=["orders", "catalog"])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--block", type=int, default=100, help="requests per turn")
    parser.add_argument("--sampling", type=float, default=0.1)
    parser.add_argument("--path", help="default: /orders/7 or /items/3")
    parser.add_argument("--parent", action="store_true", help="catalog: as called by orders")
    args = parser.parse_args()
    collector_bin = find("otelcol-flaskops")
    if collector_bin is None:
        sys.exit("needs otelcol-flaskops (make tools)")
    os.environ.update(
        OTEL_TRACES_SAMPLER="parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG=str(args.sampling),
        PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="profile-", dir="/dev/shm"),
    )
    with ExitStack() as stack:
        collector = OtelCollector(collector_bin, Path(tempfile.mkdtemp(prefix="profile-otel-")))
        stack.callback(collector.stop)
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
        if args.service == "orders":
            catalog = stack.enter_context(start_service("catalog", BARE_ENV, 1, cpus="1"))
            os.environ["CATALOG_URL"] = catalog.url
        sys.path.insert(0, str(REPO / "examples" / "services" / args.service))
        create_app = __import__(f"{args.service}.app", fromlist=["create_app"]).create_app
        app = create_app()
        for handler in logging.getLogger().handlers:  # JSON lines are counted, not kept
            handler.setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
        board = Switchboard(app)
        path = args.path or ("/orders/7" if args.service == "orders" else "/items/3")
        environ = environ_factory(path, args.sampling if args.parent else None)

        def start_response(*_: Any) -> None:
            return None

        names = list(CONFIGS)
        cpu = dict.fromkeys(names, 0.0)
        for name in names:  # warm every path once
            board.set(CONFIGS[name])
            for _ in range(args.block):
                b"".join(app(environ(), start_response))
        for cycle in range(args.cycles):
            k = cycle % len(names)
            for name in names[k:] + names[:k]:
                board.set(CONFIGS[name])
                started = time.process_time()
                for _ in range(args.block):
                    b"".join(app(environ(), start_response))
                cpu[name] += time.process_time() - started
        board.set(set())
    n = args.cycles * args.block
    bare = cpu["bare"] / n * 1e6
    print(f"{args.service} {path}, {args.sampling:.0%} sampling, {n} requests per configuration")
    for name in names:
        us = cpu[name] / n * 1e6
        print(f"  {name:15} {us:8.1f} us/request  {us - bare:+7.1f} vs bare")


if __name__ == "__main__":
    main()
