"""Talking to the example issuer (examples/services/issuer) the way a client would."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from tests.support.services import REPO

SHOP_REDIRECT = (
    "http://localhost:8080/callback"  # shop-web's registered redirect (demo-config.json)
)
DEMO_SECRETS = {"orders": "orders-demo-secret", "catalog-admin": "catalog-admin-demo-secret"}


def client_token(issuer: str, client_id: str, **form: str) -> dict[str, Any]:
    resp = requests.post(
        f"{issuer}/oauth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(client_id, DEMO_SECRETS[client_id]),
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def user_login(
    issuer: str, username: str, password: str, scope: str | None = None
) -> dict[str, Any]:
    """Authorization code with PKCE for the public client shop-web; returns the token answer."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    form = {
        "response_type": "code", "client_id": "shop-web", "redirect_uri": SHOP_REDIRECT,
        "state": "xyz", "code_challenge": challenge, "code_challenge_method": "S256",
        "username": username, "password": password, **({"scope": scope} if scope else {}),
    }  # fmt: skip
    resp = requests.post(f"{issuer}/oauth/authorize", data=form, allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    query = parse_qs(urlparse(resp.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    token = requests.post(
        f"{issuer}/oauth/token",
        data={"grant_type": "authorization_code", "client_id": "shop-web", "code": query["code"][0],
              "redirect_uri": SHOP_REDIRECT, "code_verifier": verifier},
        timeout=5,
    )  # fmt: skip
    assert token.status_code == 200, token.text
    body: dict[str, Any] = token.json()
    return body


def forge_module() -> ModuleType:
    """examples/articles/jwt-and-oauth2/forge.py, the bad tokens the article tries."""
    path = Path(REPO, "examples/articles/jwt-and-oauth2/forge.py")
    spec = importlib.util.spec_from_file_location("forge", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
