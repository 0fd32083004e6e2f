"""The index page maps every planned article title to its folder, and no folder is unlisted."""

from __future__ import annotations

import re

from tests.articles.runner import ARTICLES

DEPLOYMENT = {
    "deploying-flask-microservices",
    "dockerfile-best-practices",
    "running-flask-in-production",
    "kubernetes-for-flask",
    "cicd-pipelines",
    "blue-green-and-canary",
    "first-service-docker-compose",
    "local-dev-environment",
}
SECURITY_AND_OBSERVABILITY = {
    "securing-and-observing",
    "jwt-and-oauth2",
    "tracing-with-opentelemetry",
    "logging-and-metrics",
    "rate-limiting",
    "caching-and-performance",
}


def indexed() -> set[str]:
    text = (ARTICLES / "README.md").read_text()
    return set(re.findall(r"\]\(([a-z0-9-]+)/\)", text))


def test_index_lists_every_planned_article() -> None:
    assert indexed() == DEPLOYMENT | SECURITY_AND_OBSERVABILITY


def test_every_article_folder_is_indexed_and_has_its_test() -> None:
    folders = {p.parent.name for p in ARTICLES.glob("*/README.md")}
    assert folders <= indexed(), f"folders missing from the index: {folders - indexed()}"
    tests = ARTICLES.parents[1] / "tests" / "articles"
    untested = {f for f in folders if not (tests / f"test_{f.replace('-', '_')}.py").is_file()}
    assert not untested, f"articles without tests/articles/test_<slug>.py: {sorted(untested)}"
