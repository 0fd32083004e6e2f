"""The tracing article runs as written: orders' and catalog's spans go through the shipped
collector gateway config to a real Jaeger and are read back as one trace from its query
API, the logs carry its id, a parent-based sampler follows the caller's flag (Jaeger holds
exactly the sampled traces), and the costs it quotes are the rows of docs/benchmarks.md."""

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
    require("otelcol-gateway")
    require("jaeger")
    assert_runs_as_shown(ARTICLE, timeout=400)
