"""Prometheus RED metrics with the prometheus_flask_exporter names, correct under gunicorn.

Under gunicorn every worker is a separate process, so per-process counters would make a
scrape see one random worker. prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
set before prometheus_client is first imported) keeps each worker's values in an mmap'd file
and sums them at scrape time; `flaskops_flask.gunicorn` prepares that directory.

`flask_http_request_total` is served from the duration histogram's count (RequestTotals),
so a request costs one histogram observation and no counter of its own.

Label cardinality is bounded: `path` is the matched route template (`/orders/<int:order_id>`),
or `<unmatched>` for a 404 without a route, never the raw URL.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from time import perf_counter
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, request
from flask.signals import got_request_exception
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

UNMATCHED = "<unmatched>"
DURATION = "flask_http_request_duration_seconds"
REQUESTS = "flask_http_request_total"
LABELS = ("method", "path", "status")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class RequestMetrics:
    """Owns the metric objects and the Flask hooks that feed them."""

    def __init__(self, service: str, version: str, excluded_paths: tuple[str, ...] = ()) -> None:
        # A private registry: several apps (or tests) in one process must not collide in
        # the global default registry. In multiprocess mode the registry only names the
        # metrics; values live in the per-process files.
        self.registry = CollectorRegistry(auto_describe=True)
        self.excluded_paths = frozenset(excluded_paths)
        self.duration = Histogram(
            DURATION,
            "Flask HTTP request duration in seconds by method, route template and status",
            LABELS,
            registry=self.registry,
        )
        self.exceptions = Counter(
            "flask_http_request_exceptions_total",
            "Total number of HTTP requests that raised an unhandled exception",
            ("method", "path"),
            registry=self.registry,
        )
        self.info = Gauge(
            "flask_exporter_info",
            "Service name and version of this process",
            ("service", "version"),
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.info.labels(service, version).set(1)
        # `.labels()` takes a lock and builds a key on every call; the set of (method,
        # route, status) triples is small, so the children are resolved once and reused.
        self._children: dict[tuple[str, str, str], Any] = {}
        # What /metrics serves outside multiprocess mode: the registry, plus the totals.
        self._exposed = CollectorRegistry()
        self._exposed.register(RequestTotals(self.registry))

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        key = (method, path, str(status))
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.duration.labels(*key)
        child.observe(seconds)

    def init_app(self, app: Flask, metrics_path: str) -> None:
        excluded = self.excluded_paths | {metrics_path}
        # A WSGI middleware rather than before/after_request hooks: Flask checks every hook
        # for a coroutine on each call and `request` is a context-local proxy, which made
        # the hooks nearly half of the Python calls metrics made per request (docs/benchmarks.md).
        app.wsgi_app = _Timer(app.wsgi_app, self, excluded)  # type: ignore[method-assign]

        def count_exception(sender: Flask, exception: BaseException, **_: object) -> None:
            rule = request.url_rule
            path = rule.rule if rule is not None else UNMATCHED
            if path not in excluded:
                self.exceptions.labels(request.method, path).inc()

        got_request_exception.connect(count_exception, app, weak=False)
        app.add_url_rule(metrics_path, "flaskops_metrics", self.exposition)

    def exposition(self) -> Response:
        if multiprocess_dir():
            # A fresh registry per scrape, as prometheus-client documents for multiprocess
            # mode: the collector reads every worker's file, live or dead.
            registry = CollectorRegistry()
            registry.register(RequestTotals(MultiProcessCollector(None)))  # type: ignore[no-untyped-call]
            body = generate_latest(registry)
        else:
            body = generate_latest(self._exposed)
        # The 0.0.4 content type: what every Prometheus 2.x parses as the classic text format.
        return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)


class RequestTotals(Collector):
    """Serves `flask_http_request_total` from the duration histogram's `_count`.

    Every request is observed in the histogram, and its count is the number of requests
    by the same labels, so a counter of its own would write the same number again on
    every request: in multiprocess mode one more locked write to the worker's mmap'd file
    (docs/benchmarks.md, item 19). At scrape time the counter is the count, relabelled.
    """

    def __init__(self, source: Collector | CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            yield family
            if family.name == DURATION:
                totals = CounterMetricFamily(
                    REQUESTS,
                    "Total number of HTTP requests by method, route template and status",
                    labels=LABELS,
                )
                for sample in family.samples:
                    if sample.name == f"{DURATION}_count":
                        totals.add_metric([sample.labels[k] for k in LABELS], sample.value)
                yield totals


class _Timer:
    """Times each request from the moment Flask gets it to the moment it starts the
    response, and records it there, inside the request context, where the matched rule is
    known (Flask's request object is in the WSGI environ as `werkzeug.request`)."""

    __slots__ = ("excluded", "metrics", "wrapped")

    def __init__(self, wrapped: WSGIApplication, metrics: RequestMetrics, excluded: frozenset[str]):
        self.wrapped = wrapped
        self.metrics = metrics
        self.excluded = excluded

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.wrapped(environ, _Recorder(self, environ, start_response))


class _Recorder:
    __slots__ = ("environ", "start_response", "started", "timer")

    def __init__(self, timer: _Timer, environ: WSGIEnvironment, start_response: StartResponse):
        self.timer = timer
        self.environ = environ
        self.start_response = start_response
        self.started: float | None = perf_counter()

    def __call__(self, status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        if self.started is not None:  # a second call (with exc_info) is the same request
            seconds = perf_counter() - self.started
            self.started = None
            flask_request = self.environ.get("werkzeug.request")
            rule = flask_request.url_rule if flask_request is not None else None
            path = rule.rule if rule is not None else UNMATCHED
            if path not in self.timer.excluded:
                method = self.environ.get("REQUEST_METHOD", "GET").upper()
                try:
                    self.timer.metrics.observe(method, path, int(status[:3]), seconds)
                except Exception:  # e.g. a full multiprocess directory: the request goes on
                    _warn_once()
        return self.start_response(status, headers, *args)


_warned: list[bool] = []


def _warn_once() -> None:
    if not _warned:
        _warned.append(True)
        logging.getLogger("flaskops.telemetry").warning(
            "flaskops could not record a request metric (PROMETHEUS_MULTIPROC_DIR full or "
            "unwritable?); requests are served, their metrics may be missing",
            exc_info=True,
        )
