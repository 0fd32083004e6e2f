"""The logging and metrics article runs as written: JSON logs of two services joined by
one trace id, the shared metric names, the cardinality numbers, and the chart's monitor
and alert rules passing promtool."""

from __future__ import annotations

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES
from tests.support.tools import require

ARTICLE = ARTICLES / "logging-and-metrics" / "README.md"
VOLATILE = (r"/tmp/tmp\.\w+",)

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("promtool")
    require("helm")
    assert_runs_as_shown(ARTICLE, timeout=300, volatile=VOLATILE)
