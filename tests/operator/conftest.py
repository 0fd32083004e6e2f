"""Fixtures for the operator suites: the CRD in the cluster, an operator process per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kube import Helm, Kubectl
from tests.support.operator import (
    OperatorProcess,
    install_operator_chart,
    serviceaccount_kubeconfig,
    uninstall_operator_chart,
)
from tests.support.otel import OtelCollector
from tests.support.tools import REPO

CRD_FILE = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"


@pytest.fixture(scope="session")
def flaskservice_crd(kubectl: Kubectl) -> str:
    # Server-side apply is idempotent, so every xdist worker may run it.
    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
    kubectl.wait_established("flaskservices.flaskops.io")
    return "flaskservices.flaskops.io"


@pytest.fixture
def operator(
    kubectl: Kubectl,
    helm: Helm,
    namespace: str,
    flaskservice_crd: str,
    otel_collector: OtelCollector,
    tmp_path: Path,
) -> Iterator[OperatorProcess]:
    """The operator running for one test namespace, as the chart's ServiceAccount, sending
    its reconcile traces to a real OTLP collector."""
    release = install_operator_chart(helm, kubectl, namespace)
    kubeconfig = serviceaccount_kubeconfig(
        kubectl, namespace, release, tmp_path / "operator.kubeconfig"
    )
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otel_collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    op = OperatorProcess(namespace, kubeconfig, tmp_path, extra_env=tracing).start()
    yield op
    # While the operator still runs: kopf's finalizer (its per-object loop) is removed only
    # by a running operator, and a namespace with a stuck object never goes away.
    if op.proc and op.proc.poll() is None:
        kubectl.run(
            "delete", "flaskservices", "--all", "-n", namespace, "--timeout=30s", check=False
        )
    op.stop()
    if op.proc and op.proc.returncode not in (0, -15, None):
        print(op.logs())
    uninstall_operator_chart(helm, namespace, release)
