"""The OTLP exporter's HTTP session decides proxy and CA settings once, as requests would
have on every POST (flaskops.flask.tracing.exporter_session / ca_bundle)."""

from __future__ import annotations

import pytest
from flaskops.flask.tracing import ca_bundle, exporter_session, make_exporter


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_proxy_for_the_collector_is_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318"}
    session = exporter_session(env)
    assert session.trust_env is False
    assert session.proxies == {"https": "http://proxy.corp:3128"}


def test_no_proxy_exempts_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", ".svc.cluster.local")
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel.obs.svc.cluster.local:4318/v1/traces"}
    assert exporter_session(env).proxies == {}


def test_ca_bundle_follows_requests_unless_otlp_names_one() -> None:
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}) == "/etc/ssl/corp.pem"
    assert ca_bundle({"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"}) == "/etc/ssl/curl.pem"
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/a", "OTEL_EXPORTER_OTLP_CERTIFICATE": "/b"}) is None
    assert ca_bundle({}) is None


def test_the_exporter_uses_that_session() -> None:
    exporter = make_exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert exporter is not None
    # The only way to observe it is the transport the exporter built around our session.
    session = exporter._client._transport._session  # type: ignore[attr-defined]
    assert session.trust_env is False
