"""The chart against a real kube-apiserver (the kwok cluster of tests/conftest.py):
server-side dry-run of everything it renders, rejection of invalid values at install,
install into a namespace enforcing `restricted`, and an upgrade that rolls the pods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts.chart import SERVICE_CHART, render
from tests.charts.scenarios import SCENARIOS
from tests.support.kube import Helm, Kubectl

INVALID = sorted((Path(__file__).parent / "invalid_values").glob("*.yaml"))
CRD_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule", "HTTPRoute"}


@pytest.mark.usefixtures("third_party_crds")
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_server_side_dry_run_accepts_every_object(
    kubectl: Kubectl, restricted_namespace: str, scenario: str
) -> None:
    """kube-apiserver validation, the CRDs' schemas, and PodSecurity admission (the test pod)."""
    objs = render(SCENARIOS[scenario], namespace=restricted_namespace).objects
    proc = kubectl.apply(objs, "--dry-run=server", "-n", restricted_namespace)
    for obj in objs:
        assert f"{obj['kind'].lower()}" in proc.stdout.lower()
    assert "Warning" not in proc.stderr, proc.stderr


def test_scenarios_dry_run_every_crd_kind() -> None:
    kinds = {o["kind"] for values in SCENARIOS.values() for o in render(values).objects}
    assert kinds >= CRD_KINDS


@pytest.mark.usefixtures("third_party_crds")
def test_pod_security_admission_is_real(kubectl: Kubectl, restricted_namespace: str) -> None:
    """Guards the guard: with the restricted defaults off, the same pod is refused."""
    insecure = render(
        {
            "restrictedPodSecurity": False,
            "securityContext": {"allowPrivilegeEscalation": True},
            "serviceAccount": {"create": False},
        }
    )
    template = insecure.get("Deployment")["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "insecure", **template["metadata"]},
        "spec": template["spec"],
    }
    proc = kubectl.run(
        "apply",
        "--dry-run=server",
        "-n",
        restricted_namespace,
        "-f",
        "-",
        input=yaml.safe_dump(pod),
        check=False,
    )
    assert proc.returncode != 0
    assert 'violates PodSecurity "restricted' in proc.stderr
    assert "allowPrivilegeEscalation" in proc.stderr


@pytest.mark.parametrize("values_file", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_values_are_rejected_at_install(
    helm: Helm, namespace: str, values_file: Path
) -> None:
    expected = values_file.read_text().splitlines()[0].removeprefix("# expect: ")
    proc = helm.run(
        "install",
        "bad",
        str(SERVICE_CHART),
        "-n",
        namespace,
        "--dry-run=server",
        "-f",
        str(values_file),
        check=False,
    )
    assert proc.returncode != 0, f"{values_file.name} was accepted"
    assert expected in proc.stderr, proc.stderr


def test_invalid_values_table_is_large_enough() -> None:
    assert len(INVALID) >= 15
    assert all(p.read_text().startswith("# expect: ") for p in INVALID)


def _available(replicas: int) -> Any:
    def check(d: dict[str, Any]) -> bool:
        status = d.get("status", {})
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        return bool(
            status.get("observedGeneration") == d["metadata"]["generation"]
            and status.get("replicas", 0) == replicas
            and status.get("updatedReplicas", 0) == replicas
            and status.get("readyReplicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and conditions.get("Available") == "True"
        )

    return check


def _pods(kubectl: Kubectl, namespace: str, track: str) -> list[dict[str, Any]]:
    pods = kubectl.json("get", "pods", "-n", namespace, "-l", f"flaskops.io/track={track}")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


INSTALL_VALUES = ["--set", "replicaCount=4", "--set", "canary.enabled=true", "--set", "canary.image.tag=2.0.0",
                  "--set", "canary.weight=50", "--set", "config.data.LOG_LEVEL=INFO"]  # fmt: skip


@pytest.mark.usefixtures("third_party_crds")
@pytest.mark.xdist_group("chart-install")
def test_install_restricted_then_upgrade_rolls_pods(
    helm: Helm, kubectl: Kubectl, restricted_namespace: str
) -> None:
    ns = restricted_namespace
    helm.run("install", "web", str(SERVICE_CHART), "-n", ns, *INSTALL_VALUES)
    stable, canary = "deployment/web-flask-service", "deployment/web-flask-service-canary"
    kubectl.wait_for(stable, _available(2), "-n", ns, timeout=180)
    kubectl.wait_for(canary, _available(2), "-n", ns, timeout=180)
    for track in ("stable", "canary"):
        pods = _pods(kubectl, ns, track)
        assert len(pods) == 2
        assert all(_ready(p) for p in pods)
        assert all(
            p["metadata"]["labels"]["flaskops.io/service"] == "web-flask-service" for p in pods
        )
    # the monitoring objects exist because the cluster serves their APIs
    assert (
        kubectl.json("get", "servicemonitor", "web-flask-service", "-n", ns)["kind"]
        == "ServiceMonitor"
    )
    assert (
        kubectl.json("get", "prometheusrule", "web-flask-service", "-n", ns)["kind"]
        == "PrometheusRule"
    )
    annotations = kubectl.json("get", canary, "-n", ns)["metadata"]["annotations"]
    assert annotations["flaskops.io/effective-weight"] == "50"

    before = {
        p["metadata"]["name"]: p["metadata"]["labels"]["pod-template-hash"]
        for p in _pods(kubectl, ns, "stable")
    }
    checksum_before = kubectl.json("get", stable, "-n", ns)["spec"]["template"]["metadata"][
        "annotations"
    ]["checksum/config"]

    helm.run(
        "upgrade",
        "web",
        str(SERVICE_CHART),
        "-n",
        ns,
        *INSTALL_VALUES,
        "--set",
        "config.data.LOG_LEVEL=DEBUG",
    )
    rolled = kubectl.wait_for(stable, _available(2), "-n", ns, timeout=180)
    assert (
        rolled["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != checksum_before
    )
    assert kubectl.json("get", "configmap", "web-flask-service", "-n", ns)["data"] == {
        "LOG_LEVEL": "DEBUG"
    }

    def replaced(_: Any) -> bool:
        pods = _pods(kubectl, ns, "stable")
        return len(pods) == 2 and all(
            _ready(p) and p["metadata"]["name"] not in before for p in pods
        )

    kubectl.wait_for(stable, replaced, "-n", ns, timeout=180)
    after = {p["metadata"]["labels"]["pod-template-hash"] for p in _pods(kubectl, ns, "stable")}
    assert after.isdisjoint(before.values())
    kubectl.wait_for(canary, _available(2), "-n", ns, timeout=180)  # the canary rolled too
