from __future__ import annotations

import pytest

from tests.charts.chart import build_dependencies
from tests.support.kube import Kubectl


@pytest.fixture(scope="session", autouse=True)
def chart_dependencies() -> None:
    build_dependencies()


@pytest.fixture
def restricted_namespace(kubectl: Kubectl, namespace: str) -> str:
    """The per-test namespace, enforcing the `restricted` Pod Security Standard."""
    kubectl.run("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted",
                "pod-security.kubernetes.io/enforce-version=latest")  # fmt: skip
    return namespace
