"""The article "Kubernetes for Flask": every command runs as written against the test
session's local control plane and prints what the article shows; the values file it shows
is the one it installs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.articles.runner import ARTICLES, article_steps, assert_shown, run_steps, word_count
from tests.charts.chart import build_dependencies
from tests.support.kube import Kubectl
from tests.support.tools import require, tools_bindir

FOLDER = ARTICLES / "kubernetes-for-flask"
ARTICLE = FOLDER / "README.md"


def test_the_values_shown_are_the_file_installed() -> None:
    text = ARTICLE.read_text()
    shown = re.search(r"in full:\n\n```yaml\n(.*?)```", text, re.S)
    assert shown is not None
    assert shown[1] == (FOLDER / "catalog-values.yaml").read_text()


def test_only_the_cluster_creation_is_left_to_the_session() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert len(marked) == 1
    assert "make -s cluster-up" in marked[0].command


@pytest.mark.cluster
@pytest.mark.usefixtures("third_party_crds")
@pytest.mark.xdist_group("chart-install")
def test_commands_run_and_print_what_the_article_shows(kubeconfig: Path, kubectl: Kubectl) -> None:
    require("helm")
    require("kubectl")
    build_dependencies()
    # The other article on this cluster uses the same namespace and, as a reader would,
    # deletes it without waiting; its deletion must finish before this article creates it.
    kubectl.wait_gone("namespace/shop")
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    env = {"KUBECONFIG": str(kubeconfig), "PATH": f"{tools_bindir()}:{os.environ['PATH']}"}
    run = run_steps(steps, env=env, timeout=300)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, where=f" (step at line {step.line})")
    assert "Cannot evict pod as it would violate the pod's disruption budget" in run.raw


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
