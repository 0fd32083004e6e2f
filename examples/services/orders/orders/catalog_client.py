"""The HTTP client for catalog. `instrument()` traces outgoing `requests` calls
(flaskops_flask.client_spans) and injects the W3C `traceparent` header, so catalog's spans
join the same trace; this client needs no tracing code of its own."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from opentelemetry.instrumentation.utils import suppress_instrumentation

from orders.service_token import ServiceToken, TokenUnavailable


class CatalogError(Exception):
    """catalog did not answer usefully; orders answers 502/504 instead of guessing."""


class CatalogClient:
    def __init__(self, base_url: str, timeout_s: float, token: ServiceToken | None = None) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.token = token  # orders' own credential for catalog (service_token.py), if any
        # One pooled session per thread: keep-alive to catalog without sharing a Session
        # across gthread worker threads.
        self._local = threading.local()
        self._ready_until = 0.0

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Service-to-service calls go straight to the Service address; without this,
            # requests scans the whole environment for proxy and netrc settings on every
            # call (a third of a call's CPU in the profile, see docs/benchmarks.md).
            session.trust_env = False
            self._local.session = session
        return session

    def get_item(self, item_id: int) -> dict[str, Any] | None:
        resp = self._get(f"/items/{item_id}")
        if resp.status_code == 401 and self.token:
            # Refused token (e.g. signed by a key catalog no longer trusts): one new token, one retry.
            self.token.invalidate()
            resp = self._get(f"/items/{item_id}")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise CatalogError(f"catalog answered {resp.status_code}")
        item: dict[str, Any] = resp.json()
        return item

    def _get(self, path: str) -> requests.Response:
        try:
            headers = self.token.header() if self.token else None
            return self._session().get(
                self.base_url + path, timeout=self.timeout_s, headers=headers
            )
        except TokenUnavailable as exc:
            raise CatalogError(f"no token for catalog: {exc}") from exc
        except requests.RequestException as exc:
            raise CatalogError(f"catalog unreachable: {exc}") from exc

    def ready(self) -> bool:
        """Readiness check: catalog's liveness endpoint answers. Cached for a second so a
        burst of probes does not become a burst of calls."""
        now = time.monotonic()
        if now < self._ready_until:
            return True
        try:
            # Probe traffic is not traced: it would be a trace per probe with no request.
            with suppress_instrumentation():
                ok = self._session().get(f"{self.base_url}/healthz", timeout=1).ok
        except requests.RequestException:
            ok = False
        if ok:
            self._ready_until = now + 1.0
        return ok
