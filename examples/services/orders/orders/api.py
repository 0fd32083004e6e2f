"""The orders API, one blueprint mounted at /. Each order is priced by asking catalog."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, request
from service_kit.auth import requires

from orders.catalog_client import CatalogClient, CatalogError

bp = Blueprint("orders", __name__)
log = logging.getLogger(__name__)
# With AUTH_ISSUER set: which token scope grants which role (service_kit.auth).
ROLES = {"viewer": "orders:read", "buyer": "orders:write"}


def _catalog() -> CatalogClient:
    client: CatalogClient = current_app.extensions["orders.catalog"]
    return client


def _price(item_id: int, quantity: int) -> dict[str, Any]:
    try:
        item = _catalog().get_item(item_id)
    except CatalogError as exc:
        log.warning("pricing failed", extra={"item_id": item_id, "reason": str(exc)})
        abort(502, description=str(exc))
    if item is None:
        abort(422, description=f"catalog has no item {item_id}")
    return {
        "item": item,
        "quantity": quantity,
        "total_cents": item["price_cents"] * quantity,
    }


@bp.get("/")
def index() -> dict[str, Any]:
    return {"service": "orders", "version": current_app.config["SERVICE_VERSION"]}


@bp.get("/orders/<int:order_id>")
@requires("viewer")
def get_order(order_id: int) -> dict[str, Any]:
    """Orders are derived from their id (no database in a reference service): the item is
    `order_id % 5 + 1` and the quantity `order_id % 3 + 1`, priced live by catalog."""
    order = _price(order_id % 5 + 1, order_id % 3 + 1)
    log.info("order priced", extra={"order_id": order_id, "total_cents": order["total_cents"]})
    return {"id": order_id, **order}


@bp.post("/orders")
@requires("buyer")
def create_order() -> tuple[dict[str, Any], int]:
    body = request.get_json(silent=True) or {}
    try:
        item_id, quantity = int(body["item_id"]), int(body.get("quantity", 1))
    except (KeyError, TypeError, ValueError):
        abort(400, description="expected JSON {item_id: int, quantity: int}")
    if quantity < 1:
        abort(400, description="quantity must be >= 1")
    order = _price(item_id, quantity)
    log.info("order accepted", extra={"item_id": item_id, "quantity": quantity})
    return {"status": "accepted", **order}, 201
