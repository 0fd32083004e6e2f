"""The pillar article's hands-on part runs as written against the test cluster: a
`restricted` namespace refuses a root pod and admits the chart's pods, the secure
defaults and the NetworkPolicy are what the article shows, the server-side dry run passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.articles.checks import assert_length_in_plan, assert_runs_as_shown
from tests.articles.runner import ARTICLES
from tests.support.kube import Kubectl

ARTICLE = ARTICLES / "securing-and-observing" / "README.md"

pytestmark = pytest.mark.xdist_group("articles-security-cluster")


def test_article_length_is_in_plan_and_links_the_group() -> None:
    assert_length_in_plan(ARTICLE)
    text = ARTICLE.read_text()
    for slug in ("jwt-and-oauth2", "rate-limiting", "caching-and-performance", "logging-and-metrics",
                 "tracing-with-opentelemetry"):  # fmt: skip
        assert f"](../{slug}/)" in text, slug


@pytest.mark.usefixtures("third_party_crds")  # the chart's monitors render on every run
def test_every_step_prints_what_the_article_shows(kubeconfig: Path, kubectl: Kubectl) -> None:
    # A namespace left by an earlier run on a kept cluster would make `create` fail.
    kubectl.run(
        "delete", "namespace", "shop-secure", "--ignore-not-found", "--wait=true", check=False
    )
    assert_runs_as_shown(ARTICLE, env={"KUBECONFIG": str(kubeconfig)}, timeout=400)
