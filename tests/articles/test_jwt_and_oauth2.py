"""The JWT and OAuth2 article runs as written: issuer, services with auth, every token
shown (good and forged), the user flow with refresh, the rotation, each step printing what
the article shows."""

from __future__ import annotations

import pytest

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count

ARTICLE = ARTICLES / "jwt-and-oauth2" / "README.md"
# Key ids are made at run time: `<date>-<6 hex>` (issuer/keys.py).
VOLATILE = ("timestamp", "clock", "pid", r"\b\d{8}-[0-9a-f]{6}\b")

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000, word_count(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    steps = article_steps(ARTICLE)
    assert not [s for s in steps if s.needs], "every step of this article runs here"
    assert sum(s.shown is not None for s in steps) >= 15
    run = run_steps(steps, timeout=600)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (line {step.line})")
