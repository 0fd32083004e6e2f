"""An app's own log lines under the shared gunicorn config: JSON on stdout whether or not
instrument() owns them, written once, and with trace ids only when it does."""

from __future__ import annotations

import requests

from tests.support.services import start_service


def test_app_lines_survive_json_logs_off() -> None:
    """FLASKOPS_JSON_LOGS=0 must not silence the app: the gunicorn config's handler for app
    lines stays in place and writes them as JSON, without trace context."""
    off = {"FLASKOPS_JSON_LOGS": "0", "FLASKOPS_METRICS": "0"}
    with (
        start_service("catalog", off, workers=1) as catalog,
        start_service("orders", {**off, "CATALOG_URL": catalog.url}, workers=1) as orders,
    ):
        assert requests.get(f"{orders.url}/orders/5", timeout=5).status_code == 200
        lines = [r for r in orders.log_records() if r.get("message") == "order priced"]
    assert len(lines) == 1, orders.logs()
    (line,) = lines
    assert line["service"] == "orders"
    assert line["level"] == "INFO"
    assert line["logger"] == "orders.api"
    assert line["order_id"] == 5
    assert "trace_id" not in line
