"""The catalog's unit tests: its app factory with Flask's test client, no server needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from catalog.app import create_app
from catalog.config import Settings


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    items = tmp_path / "items.json"
    items.write_text(json.dumps([{"id": 7, "name": "tamper", "price_cents": 3100}]))
    return create_app(Settings(items_file=str(items))).test_client()


def test_lists_the_items_of_the_configured_file(client: FlaskClient) -> None:
    resp = client.get("/items")
    assert resp.status_code == 200
    assert resp.get_json() == {"items": [{"id": 7, "name": "tamper", "price_cents": 3100}]}


def test_unknown_item_is_a_json_404(client: FlaskClient) -> None:
    resp = client.get("/items/8")
    assert resp.status_code == 404
    assert "no item 8" in json.dumps(resp.get_json())


def test_readiness_checks_the_items(client: FlaskClient) -> None:
    assert client.get("/readyz").status_code == 200
