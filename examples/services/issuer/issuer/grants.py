"""The OAuth2 grants: client credentials (RFC 6749 4.4), authorization code with PKCE
(RFC 7636, S256 only) and refresh tokens that rotate on every use. Access tokens are JWTs
(RFC 9068 shape: `typ: at+jwt`, iss, sub, aud, exp, iat, jti, client_id, scope) signed
with the key ring's active key; refresh tokens and codes are opaque and kept in memory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

from issuer.config import Client, Settings
from issuer.keys import ALGORITHM, KeyRing

CODE_TTL_S = 60


class OAuthError(Exception):
    """An RFC 6749 error answer: `error` code, a description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class Grant:
    """What a code or a refresh token stands for."""

    client_id: str
    subject: str
    scopes: frozenset[str]
    audience: str
    expires_at: float
    family: str = ""  # refresh tokens: one family per login, revoked together on reuse
    redirect_uri: str = ""
    code_challenge: str = ""


class TokenService:
    def __init__(self, settings: Settings, keys: KeyRing) -> None:
        self.settings, self.keys = settings, keys
        self._lock = threading.Lock()
        self._codes: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._used_refresh: dict[str, str] = {}  # spent token -> family
        self._revoked: set[str] = set()

    # ---- clients ----
    def client(self, client_id: str | None, secret: str | None, grant: str) -> Client:
        c = self.settings.clients.get(client_id or "")
        if c is None or (c.secret is not None and not hmac.compare_digest(c.secret, secret or "")):
            raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
        if grant not in c.grants:
            raise OAuthError("unauthorized_client", f"client {c.client_id} may not use {grant}")
        return c

    @staticmethod
    def _scopes(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
        if not requested:
            return allowed
        scopes = frozenset(requested.split())
        if not scopes <= allowed:
            raise OAuthError("invalid_scope", f"not allowed: {' '.join(sorted(scopes - allowed))}")
        return scopes

    @staticmethod
    def _audience(requested: str | None, client: Client) -> str:
        if not requested and len(client.audiences) == 1:
            return client.audiences[0]
        if requested not in client.audiences:
            raise OAuthError(
                "invalid_target", f"audience must be one of: {', '.join(client.audiences)}"
            )
        return requested

    # ---- access tokens ----
    def access_token(
        self, client_id: str, subject: str, scopes: frozenset[str], audience: str
    ) -> dict[str, Any]:
        kid, key = self.keys.signing_key()
        now = int(time.time())
        claims = {
            "iss": self.settings.issuer,
            "sub": subject,
            "aud": audience,
            "client_id": client_id,
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + self.settings.access_ttl_s,
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "at+jwt"})
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.settings.access_ttl_s,
            "scope": claims["scope"],
        }

    # ---- grants ----
    def client_credentials(
        self, client: Client, scope: str | None, audience: str | None
    ) -> dict[str, Any]:
        return self.access_token(
            client.client_id,
            client.client_id,
            self._scopes(scope, client.scopes),
            self._audience(audience, client),
        )

    def authorize(self, client: Client, form: dict[str, str]) -> str:
        """The login step of the code flow: checks the user and returns a one-time code."""
        if form.get("redirect_uri") not in client.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        if form.get("code_challenge_method") != "S256" or not form.get("code_challenge"):
            raise OAuthError(
                "invalid_request",
                "PKCE is required: code_challenge with code_challenge_method=S256",
            )
        user = self.settings.users.get(form.get("username", ""))
        if user is None or not hmac.compare_digest(user.password, form.get("password", "")):
            raise OAuthError("access_denied", "wrong username or password", 401)
        scopes = self._scopes(form.get("scope"), client.scopes & user.scopes)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Grant(
                client.client_id, user.username, scopes, self._audience(form.get("audience"), client),
                time.time() + CODE_TTL_S, redirect_uri=form["redirect_uri"], code_challenge=form["code_challenge"],
            )  # fmt: skip
        return code

    def authorization_code(
        self, client: Client, code: str, redirect_uri: str, verifier: str
    ) -> dict[str, Any]:
        with self._lock:
            grant = self._codes.pop(code, None)  # one use only
        if grant is None or grant.client_id != client.client_id or grant.expires_at < time.time():
            raise OAuthError("invalid_grant", "unknown, used or expired code")
        if redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        digest = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if not hmac.compare_digest(digest, grant.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        return self._with_refresh(grant, family=secrets.token_urlsafe(8))

    def refresh(self, client: Client, token: str) -> dict[str, Any]:
        with self._lock:
            grant = self._refresh.pop(token, None)
            if grant is None:
                # A spent refresh token used again means it was copied: end the whole login.
                family = self._used_refresh.get(token)
                if family:
                    self._revoked.add(family)
                    self._refresh = {t: g for t, g in self._refresh.items() if g.family != family}
                raise OAuthError("invalid_grant", "unknown, used or revoked refresh token")
            self._used_refresh[token] = grant.family
        if (
            grant.client_id != client.client_id
            or grant.expires_at < time.time()
            or grant.family in self._revoked
        ):
            raise OAuthError("invalid_grant", "unknown, used or revoked refresh token")
        return self._with_refresh(grant, grant.family)

    def _with_refresh(self, grant: Grant, family: str) -> dict[str, Any]:
        answer = self.access_token(grant.client_id, grant.subject, grant.scopes, grant.audience)
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[refresh] = Grant(
                grant.client_id, grant.subject, grant.scopes, grant.audience,
                time.time() + self.settings.refresh_ttl_s, family=family,
            )  # fmt: skip
        return {**answer, "refresh_token": refresh}
