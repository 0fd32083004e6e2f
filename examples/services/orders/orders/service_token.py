"""orders' own access token for calling catalog: OAuth2 client credentials.

orders does not forward the caller's token to catalog. That token's audience is orders
and its scopes are orders'; for catalog to accept it, catalog would have to trust tokens
minted for another service, and a token stolen from any orders caller would open catalog
too. Instead orders asks the issuer for a token of its own (audience `catalog`, scope
`catalog:read`): catalog sees who is calling (the orders client), each hop's token is
good for that hop only, and catalog needs no knowledge of orders' users. (Token exchange,
RFC 8693, is the choice when the next service must know the end user; catalog does not.)

The token is cached until shortly before it expires, shared by the worker's threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests

# Renew this long before `expires_in` runs out: clock skew and the call's own duration.
EARLY_RENEWAL_S = 30


class TokenUnavailable(Exception):
    """The issuer did not give orders a token; the call to catalog cannot be made."""


@dataclass(frozen=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str
    audience: str = "catalog"
    scope: str = "catalog:read"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ClientCredentials | None:
        url = env.get("CATALOG_TOKEN_URL")
        if not url:
            return None
        missing = [k for k in ("CATALOG_CLIENT_ID", "CATALOG_CLIENT_SECRET") if not env.get(k)]
        if missing:
            raise ValueError(f"CATALOG_TOKEN_URL is set, so {' and '.join(missing)} must be too")
        return cls(
            token_url=url,
            client_id=env["CATALOG_CLIENT_ID"],
            client_secret=env["CATALOG_CLIENT_SECRET"],
            audience=env.get("CATALOG_AUDIENCE", "catalog"),
            scope=env.get("CATALOG_SCOPE", "catalog:read"),
        )


class ServiceToken:
    def __init__(self, creds: ClientCredentials, timeout_s: float = 2) -> None:
        self.creds, self.timeout_s = creds, timeout_s
        self._lock = threading.Lock()
        self._token = ""
        self._renew_at = 0.0

    def header(self) -> dict[str, str]:
        with self._lock:
            if time.monotonic() >= self._renew_at:
                self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """catalog refused the token (e.g. its key was retired): fetch a new one next time."""
        with self._lock:
            self._renew_at = 0.0

    def _fetch(self) -> None:
        c = self.creds
        try:
            resp = requests.post(
                c.token_url,
                data={"grant_type": "client_credentials", "audience": c.audience, "scope": c.scope},
                auth=(c.client_id, c.client_secret),
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise TokenUnavailable(f"issuer unreachable: {type(exc).__name__}") from None
        if resp.status_code != 200:
            raise TokenUnavailable(
                f"issuer answered {resp.status_code}: {resp.json().get('error', '?')}"
            )
        body = resp.json()
        self._token = body["access_token"]
        self._renew_at = time.monotonic() + max(1, int(body["expires_in"]) - EARLY_RENEWAL_S)
