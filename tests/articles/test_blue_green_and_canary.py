"""The article "Blue/Green and Canary Deployments": every command runs as written against the
test session's local control plane (its lab: operator, Prometheus, gunicorn stand-ins) and
prints what the article shows.

Compared loosely, and only there: vegeta's counts and success ratio (they differ on every
run; the status codes themselves are compared), and the reason a bad preview was torn down
(which checks failed first depends on that run's fault draws; that it was torn down, and
that the active Service never left the stable revision, is compared).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count
from tests.charts.chart import build_dependencies
from tests.support.kube import Kubectl
from tests.support.tools import require, tools_bindir

ARTICLE = ARTICLES / "blue-green-and-canary" / "README.md"
VOLATILE = (
    "timestamp",
    "clock",
    "pid",
    r"(?<=\[ratio\])\s+\d+\.\d+%",  # vegeta's success ratio
    r"(?<=\b[2-5]\d\d:)\d+",  # vegeta's count per status code
    r"(?<=torn down: ).*(?=; the active Service never left)",  # which checks failed first
)


def test_only_the_cluster_creation_is_left_to_the_session() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert len(marked) == 1
    assert "make -s cluster-up" in marked[0].command


def test_every_step_that_prints_shows_its_output() -> None:
    quiet = ("vegeta attack",)  # starts the background load, prints nothing
    for step in article_steps(ARTICLE):
        if step.needs or any(q in step.command for q in quiet):
            continue
        assert step.shown is not None, f"step at line {step.line} shows no output"


@pytest.mark.cluster
@pytest.mark.usefixtures("third_party_crds")
@pytest.mark.xdist_group("chart-install")
def test_commands_run_and_print_what_the_article_shows(kubeconfig: Path, kubectl: Kubectl) -> None:
    for tool in ("helm", "kubectl", "vegeta", "prometheus", "curl"):
        require(tool)
    build_dependencies()
    # The other article on this cluster uses the same namespace and, as a reader would,
    # deletes it without waiting; its deletion must finish before this article creates it.
    kubectl.wait_gone("namespace/shop", "namespace/manual")
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    env = {"KUBECONFIG": str(kubeconfig), "PATH": f"{tools_bindir()}:{os.environ['PATH']}"}
    run = run_steps(steps, env=env, timeout=900)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (step at line {step.line})")


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
