"""The fault suite gets a control plane of its own: it kills the apiserver and etcd, which
would break every other suite sharing the run's cluster. One cluster for the whole suite."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operator.conftest import CRD_FILE
from tests.support.cluster import delete_cluster, ensure_cluster
from tests.support.control_plane import Component, Supervisor
from tests.support.kube import Helm, Kubectl
from tests.support.prometheus import Prometheus
from tests.support.tools import require


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("operator-faults"))


@pytest.fixture(scope="package")
def kubeconfig() -> Iterator[Path]:
    name = f"flaskops-faults-{os.environ['FLASKOPS_TEST_RUN'][:8]}"
    path = ensure_cluster(name)
    yield path
    if os.environ.get("FLASKOPS_KEEP_CLUSTER") != "1":
        delete_cluster(name)


@pytest.fixture(scope="package")
def kubectl(kubeconfig: Path) -> Kubectl:
    return Kubectl(require("kubectl"), kubeconfig)


@pytest.fixture(scope="package")
def helm(kubeconfig: Path) -> Helm:
    return Helm(require("helm"), kubeconfig)


@pytest.fixture(scope="package")
def flaskservice_crd(kubectl: Kubectl) -> str:
    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
    kubectl.wait_established("flaskservices.flaskops.io")
    return "flaskservices.flaskops.io"


@pytest.fixture(scope="package")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """This suite's own Prometheus: one test kills it."""
    prom = Prometheus(require("prometheus"), tmp_path_factory.mktemp("prometheus-faults"))
    yield prom
    prom.stop()


@pytest.fixture
def component(kubeconfig: Path) -> Iterator[dict[str, Component]]:
    """The cluster's processes; the test stops one (it stays down until the test starts it
    again), the others are restarted whenever they exit."""
    names = (
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok-controller",
    )
    parts = {n: Component(kubeconfig.parent, n).capture() for n in names}
    down: set[str] = set()
    supervisor = Supervisor(list(parts.values()), down)
    supervisor.start()
    yield ControlPlane(parts, down)
    supervisor.stopped.set()
    supervisor.join()
    for part in parts.values():  # never leave the suite's cluster half down
        if not part.alive():
            part.start()


class ControlPlane(dict[str, Component]):
    """component[name].stop()/.start() with the supervisor holding off in between."""

    def __init__(self, parts: dict[str, Component], down: set[str]) -> None:
        super().__init__(parts)
        self.down = down

    def outage(self, name: str, seconds: float) -> None:
        self.down.add(name)
        self[name].stop()
        time.sleep(seconds)
        self[name].start()
        self.down.discard(name)
