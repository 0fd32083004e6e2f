"""The rate-limiting article runs as written: Redis vs memory:// under 4 gunicorn workers,
the 429 headers, ProxyFix, and both Redis-outage modes print what the article shows."""

from __future__ import annotations

import pytest

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count
from tests.support.tools import require

ARTICLE = ARTICLES / "rate-limiting" / "README.md"
# Seconds left in the window and its end (epoch) depend on when the step runs.
VOLATILE = (
    "timestamp",
    "clock",
    "pid",
    r"(?<=Retry-After: )\d+(?=\n|$)",
    r"(?<=X-RateLimit-Reset: )\d+",
)

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000, word_count(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("redis-server")
    steps = article_steps(ARTICLE)
    assert not [s for s in steps if s.needs]
    run = run_steps(steps, timeout=600)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (line {step.line})")
