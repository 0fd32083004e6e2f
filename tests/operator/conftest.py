"""Fixtures for the operator suites: the CRD in the cluster, an operator process per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
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
    op.stop()
    if op.proc and op.proc.returncode not in (0, -15, None):
        print(op.logs())
    uninstall_operator_chart(helm, namespace, release)


@dataclass
class OperatorFactory:
    """Start operator processes as the chart's ServiceAccount in one test namespace."""

    kubectl: Kubectl
    namespace: str
    release: str
    kubeconfig: Path
    tmp_path: Path
    started: list[OperatorProcess] = field(default_factory=list)

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.release}"

    def start(
        self,
        name: str = "op",
        resync: float = 600.0,
        *args: str,
        env: dict[str, str] | None = None,
    ) -> OperatorProcess:
        workdir = self.tmp_path / name
        workdir.mkdir(exist_ok=True)
        op = OperatorProcess(
            self.namespace,
            self.kubeconfig,
            workdir,
            resync=resync,
            extra_args=args,
            extra_env=env or {},
        ).start()
        self.started.append(op)
        return op


@pytest.fixture
def operators(
    kubectl: Kubectl, helm: Helm, namespace: str, flaskservice_crd: str, tmp_path: Path
) -> Iterator[OperatorFactory]:
    """Operators without the per-test defaults of `operator` (resync 600 s: only watches
    drive them). Deletes never wait on a running operator, so teardown needs no ordering."""
    release = install_operator_chart(helm, kubectl, namespace)
    kubeconfig = serviceaccount_kubeconfig(
        kubectl, namespace, release, tmp_path / "operator.kubeconfig"
    )
    factory = OperatorFactory(kubectl, namespace, release, kubeconfig, tmp_path)
    yield factory
    for op in factory.started:
        op.stop()
        if op.proc and op.proc.returncode not in (0, -15, -9, None):
            print(op.logs())
    uninstall_operator_chart(helm, namespace, release)
