"""The tracing article runs as written: a real collector receives orders' and catalog's
spans as one trace, the logs carry its id, a parent-based sampler follows the caller's
flag, and the costs it quotes are the rows of docs/benchmarks.md."""

from __future__ import annotations

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES
from tests.support.tools import require

ARTICLE = ARTICLES / "tracing-with-opentelemetry" / "README.md"

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("otelcol-flaskops")
    assert_runs_as_shown(ARTICLE, timeout=400)
