"""The catalog's HTTP API, one blueprint mounted at /."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, abort, current_app

from catalog.store import ItemStore

bp = Blueprint("catalog", __name__)
log = logging.getLogger(__name__)


def _store() -> ItemStore:
    store: ItemStore = current_app.extensions["catalog.store"]
    return store


@bp.get("/")
def index() -> dict[str, Any]:
    """A trivial JSON answer: the benchmark's baseline endpoint."""
    return {"service": "catalog", "version": current_app.config["SERVICE_VERSION"]}


@bp.get("/items")
def list_items() -> dict[str, Any]:
    return {"items": _store().all()}


@bp.get("/items/<int:item_id>")
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
