"""instrument() in-process: parts switch off cleanly, labels stay bounded, faults are exact."""

from __future__ import annotations

import time

import pytest
from flask import Flask, abort
from flaskops_flask import instrument
from flaskops_flask.config import TelemetryConfig, resource_attributes
from flaskops_flask.faults import Faults

from tests.support.exposition import assert_totals_are_the_histograms_counts


def make_app() -> Flask:
    app = Flask("parts")

    @app.get("/orders/<int:order_id>")
    def order(order_id: int) -> dict[str, int]:
        if order_id == 0:
            abort(404)
        if order_id == 13:
            raise RuntimeError("unlucky")
        return {"id": order_id}

    return app


def rules(app: Flask) -> set[str]:
    return {r.rule for r in app.url_map.iter_rules()} - {"/static/<path:filename>"}


def test_everything_off_leaves_the_app_untouched() -> None:
    app = make_app()
    wsgi_before = app.wsgi_app
    instrument(app, metrics=False, tracing=False, json_logs=False, health=False)
    assert rules(app) == {"/orders/<int:order_id>"}
    assert app.wsgi_app == wsgi_before
    assert not any(app.before_request_funcs.values())
    assert not any(app.after_request_funcs.values())


def test_env_switches_parts_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASKOPS_METRICS", "0")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setenv("FLASKOPS_JSON_LOGS", "false")
    app = make_app()
    telemetry = instrument(app)
    assert rules(app) == {"/orders/<int:order_id>", "/healthz", "/readyz"}
    assert telemetry.metrics is None
    assert telemetry.tracer_provider is None


def test_metrics_use_route_templates_and_count_exceptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)  # single-process mode
    app = make_app()
    instrument(app, tracing=False, json_logs=False, service_name="parts", service_version="9")
    client = app.test_client()
    for order_id in (1, 2, 3, 0, 13):
        client.get(f"/orders/{order_id}")
    client.get("/nowhere")
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    route = 'path="/orders/<int:order_id>"'
    assert f'flask_http_request_total{{method="GET",{route},status="200"}} 3.0' in text
    assert f'flask_http_request_total{{method="GET",{route},status="404"}} 1.0' in text
    assert f'flask_http_request_total{{method="GET",{route},status="500"}} 1.0' in text
    assert f'flask_http_request_exceptions_total{{method="GET",{route}}} 1.0' in text
    assert 'flask_http_request_total{method="GET",path="<unmatched>",status="404"} 1.0' in text
    assert 'flask_exporter_info{service="parts",version="9"} 1.0' in text
    assert "/orders/1" not in text
    assert "healthz" not in text
    assert_totals_are_the_histograms_counts(text)


def test_service_identity_comes_from_otel_environment() -> None:
    env = {
        "OTEL_SERVICE_NAME": "orders-canary",
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0.1,k8s.pod.name=orders-abc%2Cx",
    }
    config = TelemetryConfig.from_env("fallback", env)
    assert (config.service_name, config.service_version) == ("orders-canary", "2.0.1")
    assert resource_attributes(env)["k8s.pod.name"] == "orders-abc,x"
    assert TelemetryConfig.from_env("fallback", {}).service_name == "fallback"
    assert TelemetryConfig.from_env("x", {"SERVICE_VERSION": "3", **env}).service_version == "3"


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_error_rate_is_exact_over_any_prefix(rate: float) -> None:
    faults = Faults(error_rate=rate)
    failures = 0
    for n in range(1, 201):
        failures += faults.should_fail()
        assert abs(failures - n * rate) < 1 + 1e-9


def test_fault_knobs_are_validated() -> None:
    with pytest.raises(ValueError, match=r"0\.\.1"):
        Faults.from_env({"FAULT_ERROR_RATE": "1.5"})
    with pytest.raises(ValueError, match=">= 0"):
        Faults.from_env({"FAULT_LATENCY_MS": "-1"})
    assert not Faults.from_env({}).active


def test_durations_cover_every_hook_and_each_request_counts_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Metrics time the request around Flask, so an app's own before_request hooks (the
    fault knobs' added latency among them) are inside the measured duration."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    app = make_app()
    app.before_request(lambda: time.sleep(0.05))
    telemetry = instrument(app, tracing=False, json_logs=False)
    client = app.test_client()
    client.get("/orders/1")
    client.get("/orders/13")
    assert telemetry.metrics is not None
    registry = telemetry.metrics.registry
    labels = {"method": "GET", "path": "/orders/<int:order_id>"}
    for status in ("200", "500"):
        seconds = registry.get_sample_value(
            "flask_http_request_duration_seconds_sum", {**labels, "status": status}
        )
        count = registry.get_sample_value(
            "flask_http_request_duration_seconds_count", {**labels, "status": status}
        )
        assert count == 1
        assert seconds is not None
        assert seconds >= 0.05
