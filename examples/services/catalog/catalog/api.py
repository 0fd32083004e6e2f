"""The catalog's HTTP API, one blueprint mounted at /."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, abort, current_app, request
from service_kit.auth import requires

from catalog.store import FIELDS, ReadOnlyStore, Store

bp = Blueprint("catalog", __name__)
log = logging.getLogger(__name__)
# With AUTH_ISSUER set: which token scope grants which role (service_kit.auth).
ROLES = {"reader": "catalog:read", "editor": "catalog:write"}


def _store() -> Store:
    store: Store = current_app.extensions["catalog.store"]
    return store


@bp.get("/")
def index() -> dict[str, Any]:
    """A trivial JSON answer: the benchmark's baseline endpoint."""
    return {"service": "catalog", "version": current_app.config["SERVICE_VERSION"]}


@bp.get("/items")
@requires("reader")
def list_items() -> dict[str, Any]:
    return {"items": _store().all()}


@bp.get("/items/<int:item_id>")
@requires("reader")
def get_item(item_id: int) -> dict[str, Any]:
    item = _store().get(item_id)
    if item is None:
        log.info("item not found", extra={"item_id": item_id})
        abort(404, description=f"no item {item_id}")
    return item


@bp.get("/items/<int:item_id>/digest")
def item_digest(item_id: int) -> dict[str, Any]:
    """A CPU-bound answer: the item hashed CATALOG_DIGEST_ROUNDS times, each round a short
    digest, so the work holds the GIL (unlike one long hash, which releases it)."""
    item = get_item(item_id)
    rounds: int = current_app.config["DIGEST_ROUNDS"]
    digest = repr(sorted(item.items())).encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return {"id": item_id, "rounds": rounds, "digest": digest.hex()[:16]}


@bp.put("/items/<int:item_id>")
@requires("editor")
def put_item(item_id: int) -> dict[str, Any]:
    body = request.get_json(silent=True) or {}
    if not all(f in body for f in FIELDS) or not isinstance(body["price_cents"], int):
        abort(400, description='expected JSON {"name": str, "price_cents": int}')
    try:
        item = _store().put(item_id, body)
    except ReadOnlyStore as exc:
        abort(405, description=str(exc))
    log.info("item written", extra={"item_id": item_id})
    return item
