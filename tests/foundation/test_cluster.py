"""The local control plane is a real Kubernetes: version, controllers, admission, RBAC, helm."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.kube import CommandError, Helm, Kubectl
from tests.support.tools import REPO

PINNED = dict(
    line.split("=", 1)
    for line in (REPO / "hack/versions.env").read_text().splitlines()
    if line and not line.startswith("#")
)


def test_api_server_reports_the_pinned_release(kubectl: Kubectl) -> None:
    version = json.loads(kubectl.run("get", "--raw", "/version").stdout)
    assert version["gitVersion"] == PINNED["KUBERNETES_VERSION"]
    assert (version["major"], version["minor"]) == ("1", PINNED["KUBERNETES_VERSION"].split(".")[1])


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1"}]},
            },
        },
    }


def test_deployment_becomes_available_and_is_garbage_collected(
    kubectl: Kubectl, namespace: str
) -> None:
    kubectl.apply(_deployment("web", 3), "-n", namespace)
    kubectl.run("rollout", "status", "deployment/web", "-n", namespace, "--timeout=90s")
    deploy = kubectl.json("get", "deployment/web", "-n", namespace)
    assert deploy["status"]["readyReplicas"] == 3
    assert any(
        c["type"] == "Available" and c["status"] == "True" for c in deploy["status"]["conditions"]
    )
    pods = kubectl.json("get", "pods", "-n", namespace, "-l", "app=web")["items"]
    assert len(pods) == 3
    nodes = {n["metadata"]["name"]: n for n in kubectl.json("get", "nodes")["items"]}
    for pod in pods:
        assert pod["status"]["phase"] == "Running"
        node = nodes[pod["spec"]["nodeName"]]
        # Scheduled by the real scheduler onto a KWOK fake node.
        assert node["metadata"]["annotations"].get("kwok.x-k8s.io/node") == "fake"

    kubectl.run("delete", "deployment/web", "-n", namespace, "--cascade=background")
    # The garbage collector, not kubectl, removes the dependents.
    kubectl.wait_for(
        "replicasets,pods",
        lambda objs: not [o for o in objs["items"] if o["metadata"]["labels"].get("app") == "web"],
        "-n",
        namespace,
        timeout=60,
    )


RESTRICTED_POD = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "app",
            "image": "example.invalid/app:1",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ],
}


def test_pod_security_admission_enforces_restricted(kubectl: Kubectl, namespace: str) -> None:
    kubectl.run("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "example.invalid/app:1",
                    "securityContext": {"privileged": True},
                }
            ]
        },
    }
    with pytest.raises(CommandError) as rejected:
        kubectl.apply(privileged, "-n", namespace)
    assert 'violates PodSecurity "restricted:latest"' in rejected.value.stderr
    assert "privileged" in rejected.value.stderr

    compliant = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "ok"},
        "spec": RESTRICTED_POD,
    }
    kubectl.apply(compliant, "-n", namespace)
    assert kubectl.json("get", "pod/ok", "-n", namespace)["metadata"]["name"] == "ok"


def test_server_side_dry_run_returns_the_apiservers_error(kubectl: Kubectl, namespace: str) -> None:
    bad = _deployment("bad", 1)
    bad["spec"]["replicas"] = -1
    with pytest.raises(CommandError) as rejected:
        kubectl.apply(bad, "-n", namespace, "--dry-run=server")
    assert "spec.replicas: Invalid value: -1" in rejected.value.stderr
    assert "must be greater than or equal to 0" in rejected.value.stderr


def test_rbac_namespaced_role_does_not_reach_other_namespaces(
    kubectl: Kubectl, namespace: str
) -> None:
    other = f"{namespace}-other"
    kubectl.run("create", "namespace", other)
    try:
        kubectl.run("create", "serviceaccount", "reader", "-n", namespace)
        kubectl.run(
            "create",
            "role",
            "secret-reader",
            "--verb=get,list",
            "--resource=secrets",
            "-n",
            namespace,
        )
        kubectl.run(
            "create",
            "rolebinding",
            "reader",
            "--role=secret-reader",
            f"--serviceaccount={namespace}:reader",
            "-n",
            namespace,
        )
        who = f"system:serviceaccount:{namespace}:reader"

        def can(ns: str) -> str:
            proc = kubectl.run(
                "auth", "can-i", "list", "secrets", "-n", ns, "--as", who, check=False
            )
            return proc.stdout.strip()

        assert can(namespace) == "yes"
        assert can(other) == "no"
    finally:
        kubectl.run("delete", "namespace", other, "--wait=false", check=False)


def test_helm_install_and_uninstall_a_chart(
    helm: Helm, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "hello"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: hello\nversion: 0.1.0\n")
    (chart / "templates/cm.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-greeting
            data:
              greeting: {{ .Values.greeting | default "hello" | quote }}
            """
        )
    )
    helm.run("install", "hello", str(chart), "-n", namespace, "--set", "greeting=hi", "--wait")
    cm = kubectl.json("get", "configmap/hello-greeting", "-n", namespace)
    assert cm["data"] == {"greeting": "hi"}
    assert "hello" in helm.run("list", "-n", namespace, "-q").stdout.split()

    helm.run("uninstall", "hello", "-n", namespace, "--wait")
    assert (
        kubectl.run("get", "configmap/hello-greeting", "-n", namespace, check=False).returncode != 0
    )
    assert helm.run("list", "-n", namespace, "-q").stdout.strip() == ""
