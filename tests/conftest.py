"""Shared fixtures: one local cluster per run, a namespace per test, real Prometheus, tools."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.cluster import cluster_name, delete_cluster, ensure_cluster, locked
from tests.support.kube import Helm, Kubectl
from tests.support.otel import OtelCollector
from tests.support.prometheus import Prometheus
from tests.support.redis import RedisServer
from tests.support.registry import Registry
from tests.support.tools import crds_dir, require

CLUSTER_FIXTURES = {"kubeconfig", "kubectl", "helm", "namespace"}


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # Set before xdist starts its workers, so they all share the one cluster name.
    if _is_controller(config):
        os.environ.setdefault("FLASKOPS_TEST_RUN", uuid.uuid4().hex)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _is_controller(config) and os.environ.get("FLASKOPS_KEEP_CLUSTER") != "1":
        delete_cluster(cluster_name(os.environ["FLASKOPS_TEST_RUN"]))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def kubeconfig() -> Path:
    return ensure_cluster(cluster_name(os.environ["FLASKOPS_TEST_RUN"]))


@pytest.fixture(scope="session")
def kubectl(kubeconfig: Path) -> Kubectl:
    return Kubectl(require("kubectl"), kubeconfig)


@pytest.fixture(scope="session")
def helm(kubeconfig: Path) -> Helm:
    return Helm(require("helm"), kubeconfig)


@pytest.fixture
def namespace(kubectl: Kubectl, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted (without waiting) afterwards."""
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"{base}-{uuid.uuid4().hex[:5]}"
    kubectl.run("create", "namespace", name)
    yield name
    kubectl.run("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    prom = Prometheus(require("prometheus"), tmp_path_factory.mktemp("prometheus"))
    yield prom
    prom.stop()


@pytest.fixture(scope="session")
def otel_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OtelCollector]:
    """A real OpenTelemetry Collector receiving OTLP/HTTP; `.endpoint`, `.spans()`."""
    collector = OtelCollector(require("otelcol-flaskops"), tmp_path_factory.mktemp("otelcol"))
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def third_party_crds(kubectl: Kubectl) -> None:
    """ServiceMonitor, PodMonitor, PrometheusRule and Gateway API CRDs in the test cluster."""
    with locked("third-party-crds"):
        kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(crds_dir()))
    kubectl.wait_established(
        "servicemonitors.monitoring.coreos.com",
        "podmonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com",
        "httproutes.gateway.networking.k8s.io",
    )


@pytest.fixture(scope="session")
def gitops_crds(kubectl: Kubectl) -> Path:
    """The CRDs examples/gitops/ is written for (Flux's source, kustomize and helm
    controllers; Argo CD: hack/crds.sh gitops), established in the test cluster."""
    crds = crds_dir("gitops")
    with locked("gitops-crds"):
        kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(crds))
    kubectl.wait_established(
        *(yaml.safe_load(f.read_text())["metadata"]["name"] for f in sorted(crds.glob("*.yaml")))
    )
    return crds


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The CNCF distribution registry on 127.0.0.1 (plain HTTP); `.host`, `.manifest()`."""
    registry = Registry(require("registry"), tmp_path_factory.mktemp("registry"))
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port (no persistence); `.url`, `.client()`."""
    server = RedisServer(require("redis-server"), tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url
