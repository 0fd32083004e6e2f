"""The pillar "Deploying Flask Microservices": the reference architecture picture is the
rendering of its Graphviz source, and the article links every deployment article (and the
other pillar) by a path that exists at merge; its one runnable step runs as shown."""

from __future__ import annotations

import re

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count
from tests.articles.test_index import DEPLOYMENT, SECURITY_AND_OBSERVABILITY

FOLDER = ARTICLES / "deploying-flask-microservices"
ARTICLE = FOLDER / "README.md"


def test_commands_run_and_print_what_the_article_shows() -> None:
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    run = run_steps(steps, timeout=120)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, where=f" (line {step.line})")


def test_links_every_article() -> None:
    linked = set(re.findall(r"\]\(\.\./([a-z0-9-]+)/README\.md\)", ARTICLE.read_text()))
    assert linked >= (DEPLOYMENT - {"deploying-flask-microservices"}) | SECURITY_AND_OBSERVABILITY


def test_picture_is_embedded_and_names_each_part() -> None:
    text = ARTICLE.read_text()
    assert "![" in text
    assert "(architecture.png)" in text
    dot = (FOLDER / "architecture.dot").read_text()
    for part in (
        "Prometheus",
        "OTel Collector",
        "Jaeger",
        "Gateway API",
        "flaskops operator",
        "GitOps",
    ):
        assert part in dot


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
