"""The logging and metrics article runs as written: JSON logs of two services joined by
one trace id, the shared metric names, the cardinality numbers, and the chart's monitor
and alert rules passing promtool."""

from __future__ import annotations

import pytest

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count
from tests.support.tools import require

ARTICLE = ARTICLES / "logging-and-metrics" / "README.md"
VOLATILE = ("timestamp", "clock", "pid", r"/tmp/tmp\.\w+")

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000, word_count(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    require("promtool")
    require("helm")
    steps = article_steps(ARTICLE)
    assert not [s for s in steps if s.needs]
    run = run_steps(steps, timeout=300)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (line {step.line})")
