"""The logging and metrics article runs as written: JSON logs of two services joined by
one trace id, the shared metric names, the cardinality numbers, the chart's monitor and
alert rules passing promtool, the dashboards' panels with one panel's query run on a real
Prometheus 3 scraping the services, and a promtool unit test of an operator alert."""

from __future__ import annotations

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES
from tests.support.tools import require

ARTICLE = ARTICLES / "logging-and-metrics" / "README.md"
# The rate a panel shows depends on timing; the 404 series' rate of 0 does not.
VOLATILE = (r"/tmp/tmp\.\w+", r"(?<= 200 )\d+(?:\.\d+)? req/s")

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("promtool")
    require("prometheus")
    require("helm")
    assert_runs_as_shown(ARTICLE, timeout=300, volatile=VOLATILE)
