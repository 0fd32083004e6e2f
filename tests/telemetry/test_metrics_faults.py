"""A request metric that cannot be recorded (a full or unwritable multiprocess directory)
costs the metric, never the request."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flaskops_flask import instrument, metrics


def test_a_failing_metric_write_does_not_fail_requests(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(metrics.RequestMetrics, "observe", full)
    monkeypatch.setattr(metrics, "_warned", [])
    app = Flask("faulty")
    app.get("/")(lambda: "ok")
    instrument(app, tracing=False, json_logs=False, health=False)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flaskops.telemetry"):
        statuses = [client.get("/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    warnings = [r for r in caplog.records if r.name == "flaskops.telemetry"]
    assert len(warnings) == 1
    assert "could not record a request metric" in warnings[0].getMessage()
