"""Application factory: `gunicorn 'issuer.app:create_app()'` (one worker: codes and refresh
tokens live in the process)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request
from flaskops_flask import instrument
from flaskops_flask.errors import register_json_errors

from issuer.config import Settings
from issuer.grants import OAuthError, TokenService
from issuer.keys import ALGORITHM, KeyRing

bp = Blueprint("issuer", __name__)


def _tokens() -> TokenService:
    service: TokenService = current_app.extensions["issuer.tokens"]
    return service


def _client(grant: str) -> Any:
    auth = request.authorization  # client_secret_basic, else client_secret_post / public
    if auth and auth.type == "basic":
        return _tokens().client(auth.username, auth.password, grant)
    return _tokens().client(request.form.get("client_id"), request.form.get("client_secret"), grant)


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> dict[str, Any]:
    issuer = _tokens().settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
    }


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    resp = jsonify(_tokens().keys.jwks())
    # Resource servers cache the set; a short max-age bounds how long a retired key lives.
    resp.cache_control.max_age = 60
    return resp


@bp.post("/oauth/authorize")
def authorize() -> Response:
    """The login form's target (a browser would GET a page first; the examples post the form
    directly). Answers a redirect to the client with the one-time code."""
    form = request.form.to_dict()
    client = _tokens().client(
        form.get("client_id"), form.get("client_secret"), "authorization_code"
    )
    code = _tokens().authorize(client, form)
    query = urlencode({"code": code, **({"state": form["state"]} if form.get("state") else {})})
    return redirect(f"{form['redirect_uri']}?{query}", code=302)


@bp.post("/oauth/token")
def token() -> Response:
    grant = request.form.get("grant_type", "")
    tokens = _tokens()
    if grant == "client_credentials":
        body = tokens.client_credentials(
            _client(grant), request.form.get("scope"), request.form.get("audience")
        )
    elif grant == "authorization_code":
        f = request.form
        body = tokens.authorization_code(
            _client(grant), f.get("code", ""), f.get("redirect_uri", ""), f.get("code_verifier", "")
        )
    elif grant == "refresh_token":
        body = tokens.refresh(_client(grant), request.form.get("refresh_token", ""))
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: tokens are never cached
    return resp


def oauth_error(exc: OAuthError) -> tuple[Response, int]:
    return jsonify(error=exc.error, error_description=exc.description), exc.status


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("issuer")
    keys = KeyRing(settings.keys_dir)
    keys.ensure()
    app.extensions["issuer.tokens"] = TokenService(settings, keys)
    telemetry = instrument(app)
    telemetry.health.register("signing-key", lambda: bool(keys.signing_key()[0]))
    app.register_blueprint(bp)
    app.register_error_handler(OAuthError, oauth_error)
    register_json_errors(app)
    return app
