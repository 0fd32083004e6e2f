"""Bearer tokens between the reference services, against the real example issuer: valid
tokens pass, every kind of bad token gets 401 with a reason and nothing of the token in
the logs, a missing scope gets 403, key rotation retires old tokens, and orders calls
catalog with its own client-credentials token (not the user's)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.support.oauth import client_token, forge_module, user_login
from tests.support.prometheus import free_port
from tests.support.services import SERVICES_DIR, RunningService, start_service

pytestmark = pytest.mark.xdist_group("auth")


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("issuer-keys")


@pytest.fixture(scope="module")
def issuer(keys_dir: Path) -> Iterator[RunningService]:
    port = free_port()
    env = {"ISSUER_URL": f"http://127.0.0.1:{port}", "ISSUER_KEYS_DIR": str(keys_dir)}
    with start_service("issuer", env, workers=1, port=port) as svc:
        yield svc


@pytest.fixture(scope="module")
def catalog(issuer: RunningService) -> Iterator[RunningService]:
    # A 1 s JWKS cache: a retired key is forgotten within a second (default 300 s).
    env = {
        "AUTH_ISSUER": issuer.url,
        "AUTH_AUDIENCE": "catalog",
        "AUTH_JWKS_CACHE_S": "1",
        "LOG_LEVEL": "DEBUG",
    }
    with start_service("catalog", env) as svc:
        yield svc


@pytest.fixture(scope="module")
def orders(issuer: RunningService, catalog: RunningService) -> Iterator[RunningService]:
    env = {
        "AUTH_ISSUER": issuer.url, "AUTH_AUDIENCE": "orders", "CATALOG_URL": catalog.url,
        # A token signed by a key minutes old must not wait out PyJWT's 30 s refetch cooldown.
        "AUTH_JWKS_COOLDOWN_S": "0",
        "CATALOG_TOKEN_URL": f"{issuer.url}/oauth/token",
        "CATALOG_CLIENT_ID": "orders", "CATALOG_CLIENT_SECRET": "orders-demo-secret",
    }  # fmt: skip
    with start_service("orders", env) as svc:
        yield svc


def keys(command: str, keys_dir: Path, *args: str) -> dict[str, Any]:
    """The issuer's key CLI, as an operator runs it: python -m issuer.keys."""
    out = subprocess.run(
        [sys.executable, "-m", "issuer.keys", command, "--dir", str(keys_dir), *args],
        cwd=SERVICES_DIR / "issuer", check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_valid_token_passes_missing_scope_is_403(
    issuer: RunningService, catalog: RunningService
) -> None:
    admin = client_token(issuer.url, "catalog-admin", audience="catalog")["access_token"]
    reader = client_token(issuer.url, "orders", audience="catalog")["access_token"]
    assert (
        requests.get(f"{catalog.url}/items/1", headers=bearer(reader), timeout=5).status_code == 200
    )

    # reader has catalog:read only: the write needs the editor role (scope catalog:write).
    resp = requests.put(
        f"{catalog.url}/items/1",
        json={"name": "x", "price_cents": 1},
        headers=bearer(reader),
        timeout=5,
    )
    assert resp.status_code == 403
    assert resp.json() == {
        "error": "insufficient_scope",
        "detail": "needs role 'editor' (scope 'catalog:write')",
    }
    assert (
        resp.headers["WWW-Authenticate"]
        == 'Bearer error="insufficient_scope", scope="catalog:write"'
    )
    # The editor gets past auth; this catalog has no database, so the write itself is refused.
    resp = requests.put(
        f"{catalog.url}/items/1",
        json={"name": "x", "price_cents": 1},
        headers=bearer(admin),
        timeout=5,
    )
    assert resp.status_code == 405, resp.text

    # Probes stay open: the kubelet carries no token.
    assert requests.get(f"{catalog.url}/readyz", timeout=5).status_code == 200


def test_scope_the_client_does_not_have_is_refused_at_the_issuer(issuer: RunningService) -> None:
    resp = requests.post(
        f"{issuer.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "catalog:write"},
        auth=("orders", "orders-demo-secret"),
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_scope",
        "error_description": "not allowed: catalog:write",
    }


def test_bad_tokens_get_401_with_the_reason_and_are_not_logged(
    issuer: RunningService, catalog: RunningService, keys_dir: Path
) -> None:
    forge = forge_module()
    tokens = {kind: forge.forge(kind, issuer.url, "catalog", str(keys_dir)) for kind in forge.KINDS}
    tokens["wrong-audience"] = user_login(issuer.url, "alice", "alice-demo-password")[
        "access_token"
    ]
    expected = {
        "expired": "token expired",
        "wrong-issuer": "token is not from the trusted issuer " + repr(issuer.url),
        "unknown-kid": "unknown key id 'not-a-published-key'",
        "alg-none": "algorithm 'none' not allowed (allowed: RS256)",
        "hs-confusion": "algorithm 'HS256' not allowed (allowed: RS256)",
        "wrong-audience": "token is not for this service (audience must be 'catalog')",
    }
    for kind, token in tokens.items():
        resp = requests.get(f"{catalog.url}/items/1", headers=bearer(token), timeout=5)
        assert resp.status_code == 401, (kind, resp.text)
        assert resp.json() == {"error": "invalid_token", "detail": expected[kind]}, kind
        assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    resp = requests.get(f"{catalog.url}/items/1", timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_request"

    time.sleep(0.5)  # the workers' log lines reach the file
    logs = catalog.logs()
    refusals = [r for r in catalog.log_records() if r.get("message") == "request refused"]
    assert {r["reason"] for r in refusals} >= set(expected.values())
    for token in tokens.values():
        # Neither the whole token nor its signature (the part that makes it usable) is logged.
        assert token not in logs
        assert token.rsplit(".", 1)[-1] not in logs or token.endswith(".")


def test_user_flow_refresh_rotation_and_reuse_detection(
    issuer: RunningService, orders: RunningService
) -> None:
    alice = user_login(issuer.url, "alice", "alice-demo-password")
    assert alice["scope"] == "orders:read orders:write"
    claims = jwt.decode(alice["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["aud"], claims["client_id"]) == ("alice", "orders", "shop-web")
    assert (
        requests.get(
            f"{orders.url}/orders/7", headers=bearer(alice["access_token"]), timeout=5
        ).status_code
        == 200
    )

    bob = user_login(issuer.url, "bob", "bob-demo-password")
    resp = requests.post(
        f"{orders.url}/orders", json={"item_id": 1}, headers=bearer(bob["access_token"]), timeout=5
    )
    assert resp.status_code == 403
    assert resp.json()["detail"] == "needs role 'buyer' (scope 'orders:write')"

    def refresh(token: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "client_id": "shop-web", "refresh_token": token}
        return requests.post(f"{issuer.url}/oauth/token", data=data, timeout=5)

    renewed = refresh(alice["refresh_token"])
    assert renewed.status_code == 200
    new = renewed.json()
    assert new["refresh_token"] != alice["refresh_token"]
    assert (
        requests.get(
            f"{orders.url}/orders/8", headers=bearer(new["access_token"]), timeout=5
        ).status_code
        == 200
    )
    # The spent refresh token again: a copy is in someone else's hands, so the login ends.
    assert refresh(alice["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_orders_calls_catalog_with_its_own_client_credential(
    issuer: RunningService, catalog: RunningService, orders: RunningService
) -> None:
    alice = user_login(issuer.url, "alice", "alice-demo-password")
    resp = requests.get(f"{orders.url}/orders/12", headers=bearer(alice["access_token"]), timeout=5)
    assert resp.status_code == 200, resp.text
    time.sleep(0.5)
    accepted = [r for r in catalog.log_records() if r.get("message") == "token accepted"]
    # catalog saw orders' client-credentials token (sub and client orders, role reader), not alice's.
    assert accepted
    assert {(r["sub"], r["client_id"]) for r in accepted} >= {("orders", "orders")}
    assert all(r["sub"] != "alice" for r in accepted)
    # Without a token orders could not have asked: catalog refuses anonymous calls.
    assert requests.get(f"{catalog.url}/items/2", timeout=5).status_code == 401


def test_key_rotation_old_tokens_refused_after_retirement(
    issuer: RunningService, catalog: RunningService, orders: RunningService, keys_dir: Path
) -> None:
    old_kid = keys("list", keys_dir)["active"]
    old = client_token(issuer.url, "orders", audience="catalog")["access_token"]
    alice = user_login(issuer.url, "alice", "alice-demo-password")["access_token"]
    assert (
        requests.get(f"{orders.url}/orders/3", headers=bearer(alice), timeout=5).status_code == 200
    )

    # Published a JWKS cache lifetime before it signs: catalog knows it before any token has it.
    new_kid = keys("rotate", keys_dir, "--publish-only")["new"]
    assert keys("list", keys_dir)["active"] == old_kid
    time.sleep(1.5)
    assert keys("activate", keys_dir, new_kid)["published"] == sorted([old_kid, new_kid])
    new = client_token(issuer.url, "orders", audience="catalog")["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == new_kid != old_kid
    # Both keys are published during the overlap: old and new tokens verify.
    for token in (old, new):
        assert (
            requests.get(f"{catalog.url}/items/1", headers=bearer(token), timeout=5).status_code
            == 200
        )

    assert keys("retire", keys_dir, old_kid)["published"] == [new_kid]
    time.sleep(1.5)  # catalog's JWKS cache (AUTH_JWKS_CACHE_S=1) expires
    resp = requests.get(f"{catalog.url}/items/1", headers=bearer(old), timeout=5)
    assert resp.status_code == 401
    assert resp.json()["detail"] == f"unknown key id {old_kid!r}"
    assert requests.get(f"{catalog.url}/items/1", headers=bearer(new), timeout=5).status_code == 200
    # orders' cached token was signed by the retired key: refused once, renewed, retried.
    alice = user_login(issuer.url, "alice", "alice-demo-password")["access_token"]
    assert (
        requests.get(f"{orders.url}/orders/4", headers=bearer(alice), timeout=5).status_code == 200
    )
