"""/healthz says the process serves; /readyz turns unready when a registered check fails."""

from __future__ import annotations

import time

import requests
from flask import Flask
from flaskops_flask import instrument

from tests.support.prometheus import free_port
from tests.support.services import RunningService, start_service


def test_orders_is_unready_while_catalog_is_down_and_ready_after(catalog: RunningService) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with start_service("orders", {"CATALOG_URL": dead}, wait_for="/healthz") as orders:
        resp = requests.get(f"{orders.url}/readyz", timeout=5)
        assert resp.status_code == 503
        assert resp.json() == {"status": "unready", "checks": {"catalog": "failed"}}
        # Liveness does not depend on other services: the pod is not restarted for this.
        assert requests.get(f"{orders.url}/healthz", timeout=5).status_code == 200
        # And the API says why, in JSON, instead of hanging.
        order = requests.get(f"{orders.url}/orders/1", timeout=5)
        assert order.status_code == 502
        assert order.json()["error"] == "Bad Gateway"

    with start_service("orders", {"CATALOG_URL": catalog.url}, wait_for="/healthz") as orders:
        deadline = time.monotonic() + 10
        while requests.get(f"{orders.url}/readyz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "orders never became ready"
            time.sleep(0.2)
        body = requests.get(f"{orders.url}/readyz", timeout=5).json()
        assert body == {"status": "ok", "checks": {"catalog": "ok"}}


def test_registered_checks_decide_readiness() -> None:
    app = Flask("probe")
    telemetry = instrument(app, metrics=False, tracing=False, json_logs=False)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200  # no checks: ready

    state = {"db": True}
    telemetry.health.register("db", lambda: state["db"])
    assert client.get("/readyz").json == {"status": "ok", "checks": {"db": "ok"}}
    state["db"] = False
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json == {"status": "unready", "checks": {"db": "failed"}}

    def broken() -> bool:
        raise ConnectionError("no route to db")

    telemetry.health.register("db", broken)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["checks"]["db"] == "error: no route to db"
    assert client.get("/healthz").status_code == 200
    telemetry.health.unregister("db")
    assert client.get("/readyz").status_code == 200
