"""Bearer-token (JWT access token) checks for a blueprint: a resource server in ~150 lines,
with PyJWT doing every cryptographic step.

    auth = Auth.from_env(roles={"reader": "catalog:read", "editor": "catalog:write"})
    auth.init_app(app, blueprint=bp.name)

    @bp.post("/items")
    @requires("editor")
    def create_item(): ...

Off unless AUTH_ISSUER is set. Every endpoint of the blueprint then needs a valid token
(signature from the issuer's JWKS, `iss`, `aud`, `exp`, an allowed `alg`, a known `kid`);
an endpoint marked `@requires(role)` also needs the scope that grants the role. Failures
answer 401 (bad or missing token) or 403 (valid token, missing scope) with a JSON body and
a `WWW-Authenticate` header (RFC 6750). The token itself is never logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
from flask import Flask, Response, g, jsonify, request

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
_ROLE_ATTR = "_service_kit_role"
# Asymmetric algorithms only: a service holds public keys, never a shared secret. Listing
# HS256 here would let anyone who has the public key mint tokens (HS/RS confusion).
_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}


class TokenError(Exception):
    """A refused token: `detail` is safe to show the caller (it never contains the token)."""

    def __init__(self, detail: str, status: int = 401, error: str = "invalid_token") -> None:
        super().__init__(detail)
        self.detail, self.status, self.error = detail, status, error


@dataclass(frozen=True)
class Principal:
    """Who called: the token's subject, the OAuth client it was issued to, and what it may do."""

    subject: str
    client_id: str | None
    scopes: frozenset[str]
    roles: frozenset[str]


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    audience: str
    jwks_url: str
    algorithms: tuple[str, ...] = ("RS256",)
    jwks_cache_s: int = 300
    # An unknown kid refetches the key set at most once per this many seconds (PyJWT's
    # guard against a flood of made-up kids each costing a fetch).
    jwks_cooldown_s: float = 30
    leeway_s: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings | None:
        env = os.environ if env is None else env
        issuer = env.get("AUTH_ISSUER", "").rstrip("/")
        if not issuer:
            return None
        audience = env.get("AUTH_AUDIENCE", "")
        if not audience:
            raise ValueError(
                "AUTH_AUDIENCE must be set when AUTH_ISSUER is (this service's name in tokens' aud)"
            )
        algorithms = tuple(
            a.strip() for a in env.get("AUTH_ALGORITHMS", "RS256").split(",") if a.strip()
        )
        bad = [a for a in algorithms if a not in _ASYMMETRIC]
        if bad:
            raise ValueError(
                f"AUTH_ALGORITHMS: {', '.join(bad)} not allowed; use asymmetric ones, e.g. RS256 or ES256"
            )
        return cls(
            issuer=issuer,
            audience=audience,
            jwks_url=env.get("AUTH_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
            algorithms=algorithms,
            jwks_cache_s=int(env.get("AUTH_JWKS_CACHE_S", "300")),
            jwks_cooldown_s=float(env.get("AUTH_JWKS_COOLDOWN_S", "30")),
            leeway_s=int(env.get("AUTH_LEEWAY_S", "0")),
        )  # fmt: skip


@dataclass
class TokenValidator:
    settings: AuthSettings
    roles: Mapping[str, str]  # role -> the scope that grants it
    _jwks: jwt.PyJWKClient = field(init=False)

    def __post_init__(self) -> None:
        # The key set is cached for jwks_cache_s; an unknown kid triggers a refetch (once per
        # cooldown), so a new key is picked up soon and a retired one is gone after the cache.
        s = self.settings
        self._jwks = jwt.PyJWKClient(
            s.jwks_url,
            cache_jwk_set=True,
            lifespan=s.jwks_cache_s,
            timeout=5,
            cooldown_duration=s.jwks_cooldown_s,
        )

    def validate(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenError("malformed token") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self.settings.algorithms:
            raise TokenError(
                f"algorithm {alg!r} not allowed (allowed: {', '.join(self.settings.algorithms)})"
            )
        if not kid:
            raise TokenError("token has no key id (kid)")
        try:
            key = self._jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            raise TokenError(
                "cannot fetch the issuer's signing keys", 503, "temporarily_unavailable"
            ) from None
        except jwt.PyJWKClientError:
            raise TokenError(f"unknown key id {kid!r}") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(self.settings.algorithms),
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except jwt.InvalidAudienceError:
            raise TokenError(
                f"token is not for this service (audience must be {self.settings.audience!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise TokenError(
                f"token is not from the trusted issuer {self.settings.issuer!r}"
            ) from None
        except jwt.InvalidSignatureError:
            raise TokenError("signature does not verify") from None
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid token: {exc}") from None
        scopes = frozenset(str(claims.get("scope", "")).split())
        return Principal(
            subject=str(claims["sub"]),
            client_id=claims.get("client_id"),
            scopes=scopes,
            roles=frozenset(role for role, scope in self.roles.items() if scope in scopes),
        )  # fmt: skip


def requires(role: str) -> Callable[[F], F]:
    """Mark a view as needing `role` (granted by a scope, see Auth(roles=...))."""

    def mark(view: F) -> F:
        setattr(view, _ROLE_ATTR, role)
        return view

    return mark


class Auth:
    def __init__(self, settings: AuthSettings | None, roles: Mapping[str, str]) -> None:
        self.settings = settings
        self.roles = dict(roles)
        self.validator = TokenValidator(settings, roles) if settings else None

    @classmethod
    def from_env(cls, roles: Mapping[str, str], env: Mapping[str, str] | None = None) -> Auth:
        return cls(AuthSettings.from_env(env), roles)

    @property
    def enabled(self) -> bool:
        return self.validator is not None

    def init_app(self, app: Flask, blueprint: str) -> None:
        app.extensions["service_kit.auth"] = self
        if self.validator is None:
            return
        validator = self.validator

        @app.before_request
        def check_token() -> Response | None:
            if request.blueprint != blueprint or request.endpoint is None:
                return None
            try:
                g.principal = validator.validate(_bearer_token())
                role = getattr(app.view_functions[request.endpoint], _ROLE_ATTR, None)
                if role is not None and role not in g.principal.roles:
                    scope = self.roles[role]
                    raise TokenError(
                        f"needs role {role!r} (scope {scope!r})", 403, "insufficient_scope"
                    )
            except TokenError as exc:
                # The reason, never the token: a logged bearer token is a stolen one.
                log.warning("request refused", extra={"reason": exc.detail, "status": exc.status})
                return _refusal(
                    exc,
                    self.roles.get(
                        getattr(app.view_functions[request.endpoint], _ROLE_ATTR, ""), ""
                    ),
                )
            log.debug(
                "token accepted",
                extra={
                    "sub": g.principal.subject,
                    "client_id": g.principal.client_id,
                    "roles": sorted(g.principal.roles),
                },
            )
            return None  # fmt: skip


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError(
            "missing bearer token (send Authorization: Bearer <access token>)",
            error="invalid_request",
        )
    return token.strip()


def _refusal(exc: TokenError, scope: str) -> Response:
    resp = jsonify(error=exc.error, detail=exc.detail)
    resp.status_code = exc.status
    challenge = f'Bearer error="{exc.error}"'
    if exc.status == 403 and scope:
        challenge += f', scope="{scope}"'
    resp.headers["WWW-Authenticate"] = challenge
    return resp
