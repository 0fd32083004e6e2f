"""dashboard-linter's rules (ported in tests/dashboards/lint.py) pass for every dashboard,
and a fixture broken on purpose fails each of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.lint import RULES, lint
from tests.dashboards.model import DASHBOARDS, load

BROKEN = Path(__file__).parent / "fixtures/broken.json"


def test_there_are_three_dashboards() -> None:
    assert [p.name for p in DASHBOARDS] == ["canary.json", "flask-service.json", "operator.json"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_passes_every_rule(path: Path) -> None:
    assert lint(path.name, load(path)) == []


def test_broken_fixture_fails_each_rule() -> None:
    found = lint(BROKEN.name, load(BROKEN))
    by_rule: dict[str, list[str]] = {}
    for rule, message in found:
        by_rule.setdefault(rule, []).append(message)
    missing = [r for r in RULES if r not in by_rule]
    assert not missing, f"the broken fixture passed {missing}; found {by_rule}"
    assert set(by_rule) == set(RULES), by_rule
    # The violations are the planted ones, named where they are.
    assert any("'Requests'" in m and "5m" in m for m in by_rule["target-rate-interval-rule"])
    assert any("http_requests_total" in m for m in by_rule["target-counter-agg-rule"])
    assert any("target B" in m for m in by_rule["target-promql-rule"])
    assert any("'requests/s'" in m for m in by_rule["panel-units-rule"])
    assert any("'Nothing to show'" in m for m in by_rule["panel-no-targets-rule"])
