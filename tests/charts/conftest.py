from __future__ import annotations

import pytest

from tests.charts.chart import build_dependencies


@pytest.fixture(scope="session", autouse=True)
def chart_dependencies() -> None:
    build_dependencies()
