"""The operator's render cache: one helm subprocess per distinct (chart, values, release),
however many reconciles ask, for more services than the old 256-entry cache held, and a
cached render cannot be changed through the copy a caller got."""

from __future__ import annotations

from pathlib import Path

import pytest
from flaskops.render import Renderer

from tests.charts.chart import build_dependencies
from tests.support.tools import require

CHART = Path(__file__).resolve().parents[3] / "charts" / "flask-service"


@pytest.fixture(autouse=True, scope="module")
def chart_dependencies() -> None:
    build_dependencies()


def renderer(**kwargs: int) -> Renderer:
    return Renderer(CHART, helm=require("helm"), **kwargs)


def values(i: int) -> dict[str, object]:
    return {"image": {"repository": "registry.example/catalog", "tag": f"1.0.{i}"}}


def test_a_repeated_render_runs_no_second_helm() -> None:
    r = renderer()
    first = r.render("svc", "shop", values(0))
    again = r.render("svc", "shop", values(0))
    assert r.renders == 1
    assert again == first
    assert {o["kind"] for o in first} >= {"Deployment", "Service"}


def test_another_release_namespace_or_value_renders_again() -> None:
    r = renderer()
    r.render("svc", "shop", values(0))
    r.render("other", "shop", values(0))
    r.render("svc", "other", values(0))
    r.render("svc", "shop", values(1))
    assert r.renders == 4


def test_the_cache_holds_more_services_than_the_old_256() -> None:
    r = renderer()
    assert r.cache_size >= 2000  # stable + canary of 1,000 FlaskServices


def test_the_least_recently_used_entry_goes_first() -> None:
    r = renderer(cache_size=2)
    r.render("a", "shop", values(0))
    r.render("b", "shop", values(0))
    r.render("a", "shop", values(0))  # a is now the most recent
    r.render("c", "shop", values(0))  # evicts b
    r.render("a", "shop", values(0))
    assert r.renders == 3
    r.render("b", "shop", values(0))
    assert r.renders == 4


def test_a_caller_changing_its_copy_changes_no_later_render() -> None:
    r = renderer()
    mine = r.render("svc", "shop", values(0))
    mine[0]["metadata"]["name"] = "changed"
    mine.clear()
    again = r.render("svc", "shop", values(0))
    assert again
    assert again[0]["metadata"]["name"] != "changed"
