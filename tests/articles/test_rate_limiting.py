"""The rate-limiting article runs as written: Redis vs memory:// under 4 gunicorn workers,
the 429 headers, ProxyFix, and both Redis-outage modes print what the article shows."""

from __future__ import annotations

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES
from tests.support.tools import require

ARTICLE = ARTICLES / "rate-limiting" / "README.md"
# Seconds left in the window and its end (epoch) depend on when the step runs.
VOLATILE = (
    r"(?<=Retry-After: )\d+(?=\n|$)",
    r"(?<=X-RateLimit-Reset: )\d+",
)

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("redis-server")
    assert_runs_as_shown(ARTICLE, timeout=600, volatile=VOLATILE)
