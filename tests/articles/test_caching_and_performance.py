"""The caching article runs as written: store reads counted through the Redis cache, the
invalidation, ETag/304, Redis down, and the load-test table it quotes is the one
`make bench-caching` wrote to docs/benchmarks.md (machine and date included)."""

from __future__ import annotations

import re

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES, REPO
from tests.support.tools import require

ARTICLE = ARTICLES / "caching-and-performance" / "README.md"

pytestmark = pytest.mark.xdist_group("articles-security")


def test_article_length_is_in_plan() -> None:
    assert_length_in_plan(ARTICLE)


def test_benchmark_section_has_every_variant_machine_and_date() -> None:
    text = (REPO / "docs" / "benchmarks.md").read_text()
    section = text.split("<!-- bench-caching:begin -->", 1)[1].split(
        "<!-- bench-caching:end -->", 1
    )[0]
    assert re.search(r"Measured \d{4}-\d\d-\d\d on .+ cores", section)
    rows = dict(re.findall(r"^\| (\S+) \| (\d+) \|", section, re.M))
    assert set(rows) == {"sqlite", "db-50ms", "db-50ms+redis", "db-50ms+redis+304", "sqlite+redis"}
    # The cache removes the store from the hot path: its rows read the store (almost) never.
    reads = dict(re.findall(r"^\| (\S+) \|.*\| ([\d.]+) \|$", section, re.M))
    assert float(reads["db-50ms"]) >= 0.95  # every request reads the store (plus warm-up reads)
    assert float(reads["db-50ms+redis"]) < 0.01


def test_every_step_prints_what_the_article_shows() -> None:
    require("redis-server")
    assert_runs_as_shown(ARTICLE, timeout=300)
