from __future__ import annotations

import pytest

from tests.charts.chart import build_dependencies, lock
from tests.support.kube import Kubectl
from tests.support.tools import crds_dir


@pytest.fixture(scope="session", autouse=True)
def chart_dependencies() -> None:
    build_dependencies()


@pytest.fixture(scope="session")
def third_party_crds(kubectl: Kubectl) -> None:
    """ServiceMonitor, PodMonitor, PrometheusRule and Gateway API CRDs in the test cluster."""
    with lock("third-party-crds"):
        kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(crds_dir()))
    kubectl.run("wait", "--for=condition=Established", "--timeout=60s",
                "crd/servicemonitors.monitoring.coreos.com", "crd/podmonitors.monitoring.coreos.com",
                "crd/prometheusrules.monitoring.coreos.com", "crd/httproutes.gateway.networking.k8s.io")  # fmt: skip


@pytest.fixture
def restricted_namespace(kubectl: Kubectl, namespace: str) -> str:
    """The per-test namespace, enforcing the `restricted` Pod Security Standard."""
    kubectl.run("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted",
                "pod-security.kubernetes.io/enforce-version=latest")  # fmt: skip
    return namespace
