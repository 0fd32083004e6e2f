"""Fixtures for the reference-service tests: catalog + orders under real gunicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.services import RunningService, start_service


@pytest.fixture
def catalog() -> Iterator[RunningService]:
    with start_service("catalog", {"SERVICE_VERSION": "1.4.0"}) as svc:
        yield svc


@pytest.fixture
def orders(catalog: RunningService) -> Iterator[RunningService]:
    with start_service("orders", {"SERVICE_VERSION": "2.1.0", "CATALOG_URL": catalog.url}) as svc:
        yield svc
