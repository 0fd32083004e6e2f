"""The OTLP exporter's transport decides proxy and TLS settings once, as requests would
have on every POST, and posts with urllib3 (flaskops_flask.otlp_transport)."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import urllib3
from flaskops_flask.otlp_transport import ca_bundle, client_certificate, exporter_transport
from flaskops_flask.tracing import make_exporter
from opentelemetry.exporter.http.transport._urllib3 import Urllib3HTTPTransport
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_proxy_for_the_collector_is_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    transport = exporter_transport({"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example"})
    pool = transport._pool
    assert isinstance(pool, urllib3.ProxyManager)
    assert (pool.proxy.host, pool.proxy.port) == ("proxy.corp", 3128)
    # The TLS settings of the upstream transport carry over to the proxy manager.
    assert pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"


def test_no_proxy_exempts_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".svc.cluster.local")
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel.obs.svc.cluster.local:4318/v1/traces"}
    assert not isinstance(exporter_transport(env)._pool, urllib3.ProxyManager)


def test_ca_bundle_prefers_otlp_then_follows_requests() -> None:
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}) == "/etc/ssl/corp.pem"
    assert ca_bundle({"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"}) == "/etc/ssl/curl.pem"
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/a", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/b"}) == "/b"
    both = {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/b", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": "/c"}
    assert ca_bundle(both) == "/c"
    assert ca_bundle({}) is None
    pool_kw = exporter_transport({"REQUESTS_CA_BUNDLE": "/a"})._pool.connection_pool_kw
    assert pool_kw["ca_certs"] == "/a"


def test_client_certificate_for_mtls() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/tls/client.crt",
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": "/tls/client.key",
    }
    assert client_certificate(env) == ("/tls/client.crt", "/tls/client.key")
    assert client_certificate({}) is None
    pool_kw = exporter_transport(env)._pool.connection_pool_kw
    assert (pool_kw["cert_file"], pool_kw["key_file"]) == ("/tls/client.crt", "/tls/client.key")


def test_the_exporter_uses_that_transport() -> None:
    exporter = make_exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert exporter is not None
    assert isinstance(exporter._client._transport, Urllib3HTTPTransport)  # type: ignore[attr-defined]


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers for the collector: it records what it was asked."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Silent: the test asserts on what the proxy was asked, not on its access log."""


@pytest.fixture
def proxy() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_spans_go_through_the_proxy_with_its_credentials(
    proxy: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = proxy.server_address[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://otel%40corp:s3cr%3At@127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example:4318")
    _Proxy.seen.clear()
    exporter = make_exporter(os.environ)
    assert exporter is not None
    span = TracerProvider().get_tracer("test").start_span("through the proxy")
    span.end()
    assert exporter.export([span]) is SpanExportResult.SUCCESS  # type: ignore[list-item]
    credentials = base64.b64encode(b"otel@corp:s3cr:t").decode()
    assert _Proxy.seen[0] == (
        "POST",
        "http://collector.example:4318/v1/traces",
        f"Basic {credentials}",
    )
