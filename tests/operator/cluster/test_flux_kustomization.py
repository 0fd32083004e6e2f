"""A real Flux kustomize-controller (built by `make tools`) applies FlaskServices from an
ExternalArtifact served on loopback, and its Kustomization turns Ready only once the
FlaskService is Ready (the operator runs it). The Kustomization is the shipped one,
examples/gitops/flux/flaskservices.yaml; a second one without its healthCheckExprs shows
why they are there: kstatus alone passes a FlaskService the operator has not yet seen."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.operator.cluster.test_lifecycle import fsvc, ready
from tests.operator.conftest import OperatorFactory
from tests.support.flux import (
    ArtifactServer,
    KustomizeController,
    condition,
    external_artifact,
    parse_time,
    watch,
)
from tests.support.kube import Kubectl
from tests.support.tools import REPO, require

EXAMPLE = REPO / "examples/gitops/flux/flaskservices.yaml"
SPEC = {"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}, "replicaCount": 2}


def shipped_kustomization() -> dict[str, Any]:
    docs = yaml.safe_load_all(EXAMPLE.read_text())
    return next(d for d in docs if d["kind"] == "Kustomization")


def kustomization(name: str, namespace: str, service: str, exprs: bool) -> dict[str, Any]:
    """The shipped Kustomization, pointed at this test's artifact, namespace and service."""
    obj = copy.deepcopy(shipped_kustomization())
    spec = obj["spec"]
    assert spec["healthCheckExprs"], "the shipped Kustomization lost its healthCheckExprs"
    spec.pop("dependsOn")  # the operator's HelmRelease; here the operators fixture installs it
    if not exprs:
        spec.pop("healthCheckExprs")
    spec.update(
        sourceRef={"kind": "ExternalArtifact", "name": "gitops"},
        path=f"./{name}",
        targetNamespace=namespace,
        timeout="3m",
        healthChecks=[{**spec["healthChecks"][0], "name": service, "namespace": namespace}],
    )
    obj["metadata"] = {"name": name}
    return obj


@pytest.fixture
def kustomize_controller(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str, gitops_crds: Path, tmp_path: Path
) -> Iterator[KustomizeController]:
    """Started after (and stopped before) the operators fixture, which prunes need."""
    controller = KustomizeController(
        require("kustomize-controller"), kubectl.kubeconfig, namespace, tmp_path
    )
    yield controller
    # Kustomizations carry the controller's finalizer: delete them (pruning what they
    # applied) while it runs, or the namespace stays Terminating.
    kubectl.run("delete", "kustomizations", "--all", "-n", namespace, "--wait=false", check=False)
    try:
        kubectl.wait_for("kustomizations", lambda o: not o["items"], "-n", namespace, timeout=60)
    finally:
        controller.stop()
        if controller.proc.returncode not in (0, -15):
            print(controller.logs())


def test_kustomization_is_ready_only_once_the_flaskservice_is(
    operators: OperatorFactory,
    kustomize_controller: KustomizeController,
    kubectl: Kubectl,
    namespace: str,
    tmp_path: Path,
) -> None:
    ns = ("-n", namespace)
    (tmp_path / "artifacts").mkdir()
    server = ArtifactServer(tmp_path / "artifacts")
    try:
        artifact = server.publish(
            "gitops.tar.gz",
            {
                "example/catalog.yaml": fsvc(SPEC, "catalog"),
                "kstatus-only/plain.yaml": fsvc(SPEC, "plain"),
            },
        )
        external_artifact(kubectl, namespace, "gitops", artifact)
        kubectl.apply(
            [
                kustomization("example", namespace, "catalog", exprs=True),
                kustomization("kstatus-only", namespace, "plain", exprs=False),
            ],
            *ns,
        )

        # No operator yet. Without the expressions, kstatus passes the status-less
        # FlaskService: the Kustomization is Ready although nothing runs it.
        # (Ready and the applied revision can land in two status writes: wait for both.)
        plain = kubectl.wait_for(
            "kustomization/kstatus-only",
            lambda o: condition(o, "Ready").get("status") == "True"
            and "lastAppliedRevision" in o["status"],
            *ns, timeout=60,
        )  # fmt: skip
        assert plain["status"]["lastAppliedRevision"] == artifact["revision"]
        assert not kubectl.json("get", "flaskservice/plain", *ns).get("status")

        # The shipped Kustomization applied the same revision and waits on its health check.
        example = kubectl.wait_for(
            "kustomization/example",
            lambda o: (o.get("status") or {}).get("lastAttemptedRevision") == artifact["revision"],
            *ns, timeout=30,
        )  # fmt: skip
        assert not kubectl.json("get", "flaskservice/catalog", *ns).get("status")
        seen = watch(kubectl, "kustomization/example", namespace, 7)  # > one 5 s health poll
        assert all(condition(o, "Ready").get("status") != "True" for o in [*seen, example]), [
            condition(o, "Ready") for o in seen
        ]
        assert condition(seen[-1], "Ready").get("status") == "Unknown", condition(seen[-1], "Ready")
        assert condition(seen[-1], "Reconciling").get("status") == "True"

        # The operator starts: the FlaskService goes Ready, and only then the Kustomization.
        operators.start("op", 2.0)
        premature = []

        def settled(o: dict[str, Any]) -> bool:
            # Read after the Kustomization: a FlaskService not Ready now was not then.
            svc = kubectl.json("get", "flaskservice/catalog", *ns)
            if condition(o, "Ready").get("status") == "True":
                if not ready(svc):
                    premature.append((condition(o, "Ready"), svc.get("status")))
                return "lastAppliedRevision" in o["status"]
            return False

        done = kubectl.wait_for("kustomization/example", settled, *ns, timeout=90)
        assert not premature, premature
        svc = kubectl.json("get", "flaskservice/catalog", *ns)
        assert ready(svc)
        k_ready = condition(done, "Ready")
        assert done["status"]["lastAppliedRevision"] == artifact["revision"]
        assert k_ready["reason"] == "ReconciliationSucceeded", k_ready
        assert parse_time(k_ready["lastTransitionTime"]) >= parse_time(
            condition(svc, "Ready")["lastTransitionTime"]
        ), (k_ready, condition(svc, "Ready"))
        deploy = kubectl.json("get", "deployment/catalog", *ns)
        assert deploy["status"].get("availableReplicas") == 2
    finally:
        server.stop()
