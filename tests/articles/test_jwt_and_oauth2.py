"""The JWT and OAuth2 article runs as written: issuer, services with auth, every token
shown (good and forged), the user flow with refresh, the rotation, each step printing what
the article shows."""

from __future__ import annotations

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES

ARTICLE = ARTICLES / "jwt-and-oauth2" / "README.md"
# Key ids are made at run time: `<date>-<6 hex>` (issuer/keys.py).
VOLATILE = (r"\b\d{8}-[0-9a-f]{6}\b",)

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_every_step_prints_what_the_article_shows() -> None:
    assert_runs_as_shown(ARTICLE, timeout=600, volatile=VOLATILE)
