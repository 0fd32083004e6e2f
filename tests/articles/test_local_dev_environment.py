"""The how-to "Local Development Environment": path 1 (processes with reload) and the lint
of path 3 (the kind script, config and manifests, the Makefile branch) run as written and
print what it shows. Path 2 is `make demo`, which tests/test_demo.py runs: this test checks
that the article's demo excerpt is that script's output and names what that test asserts,
rather than running the demo a second time."""

from __future__ import annotations

import ast
import os
import re

from tests.articles.runner import (
    ARTICLES,
    REPO,
    article_steps,
    assert_shown,
    run_script,
    run_steps,
    word_count,
)
from tests.support.tools import require, tools_bindir

ARTICLE = ARTICLES / "local-dev-environment" / "README.md"


def test_commands_run_and_print_what_the_article_shows() -> None:
    require("kind")
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    env = {"PATH": f"{tools_bindir()}:{os.environ['PATH']}"}
    run = run_steps(steps, env=env, timeout=300)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, where=f" (line {step.line})")
    assert "Worker reloading" in run.raw


def test_marked_steps_are_the_demo_its_cluster_and_the_engine_ones() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert marked[0].command.strip() == "make demo"
    assert "tests/test_demo.py" in (marked[0].needs or "")
    assert "make demo KIND=1" in marked[2].command
    assert all("container engine" in (s.needs or "") for s in marked[2:])


def test_make_demo_is_what_test_demo_runs() -> None:
    recipe = run_script("make -n demo | tail -1").stdout.strip()
    assert recipe.endswith("python hack/demo.py")
    assert 'REPO / "hack/demo.py"' in (REPO / "tests" / "test_demo.py").read_text()


def test_demo_excerpt_is_demo_output_and_names_what_test_demo_asserts() -> None:
    text = ARTICLE.read_text()
    excerpt = text.split(
        "temporary paths, the Prometheus and Jaeger ports and the trace id change from run to run):\n\n```text\n",
        1,
    )[1]
    excerpt = excerpt.split("```", 1)[0]
    source = (REPO / "hack" / "demo.py").read_text()
    for heading in re.findall(r"^== (.+)$", excerpt, re.M):
        assert heading.split(" (")[0] in source, heading
    demo_test = ast.parse((REPO / "tests" / "test_demo.py").read_text())
    asserted = [
        node.left.value
        for node in ast.walk(demo_test)
        if isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    ]
    assert asserted
    for phrase in asserted:
        assert phrase in text, f"the article should name what test_demo asserts: {phrase!r}"


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
