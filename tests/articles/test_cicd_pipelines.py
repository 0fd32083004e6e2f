"""The article "CI/CD Pipelines": the pipeline scripts of ci/ (test, chart, GitOps release)
run as written and print what it shows; the example pipelines pass their CI systems'
schemas; only the image job is left to a machine with a container engine."""

from __future__ import annotations

import os

from tests.articles.runner import ARTICLES, REPO, article_steps, assert_shown, run_steps, word_count
from tests.support.tools import require, tools_bindir

ARTICLE = ARTICLES / "cicd-pipelines" / "README.md"


def test_commands_run_and_print_what_the_article_shows() -> None:
    assert (REPO / "ci" / "scripts" / "release-gitops.sh").is_file(), (
        "ci/ (the CI templates of issue 16) is missing: this article runs its scripts"
    )
    require("helm")
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    env = {"PATH": f"{tools_bindir()}:{os.environ['PATH']}"}
    run = run_steps(steps, env=env, timeout=400)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, where=f" (line {step.line})")


def test_only_the_image_job_needs_an_engine() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert len(marked) == 1
    assert "docker buildx build" in marked[0].command
    assert "container engine" in (marked[0].needs or "")


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
