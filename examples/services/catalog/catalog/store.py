"""The catalog's data: a fixed set of items, or a JSON file named by CATALOG_ITEMS_FILE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_ITEMS: list[dict[str, Any]] = [
    {"id": 1, "name": "espresso beans 1kg", "price_cents": 2400},
    {"id": 2, "name": "pour-over kettle", "price_cents": 5900},
    {"id": 3, "name": "burr grinder", "price_cents": 14900},
    {"id": 4, "name": "paper filters x100", "price_cents": 650},
    {"id": 5, "name": "milk jug 600ml", "price_cents": 1800},
]


class ItemStore:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = {int(item["id"]): item for item in items}

    @classmethod
    def load(cls, path: str | None) -> ItemStore:
        if path is None:
            return cls(DEFAULT_ITEMS)
        return cls(json.loads(Path(path).read_text()))

    def all(self) -> list[dict[str, Any]]:
        return list(self._items.values())

    def get(self, item_id: int) -> dict[str, Any] | None:
        return self._items.get(item_id)

    def __len__(self) -> int:
        return len(self._items)
