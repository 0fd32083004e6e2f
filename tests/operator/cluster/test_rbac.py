"""The operator's RBAC is enough for everything it does and nothing more.

Enough: every other operator test runs the operator as this ServiceAccount. Nothing more:
`kubectl auth can-i` in both directions, and the rules contain no wildcard.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yaml
from flaskops.apply import PRUNABLE

from tests.support.kube import Helm, Kubectl
from tests.support.operator import OPERATOR_CHART, install_operator_chart, uninstall_operator_chart

ALLOWED = [
    ("get", "flaskservices.flaskops.io"),
    ("watch", "flaskservices.flaskops.io"),
    ("patch", "flaskservices.flaskops.io"),
    ("patch", "flaskservices.flaskops.io/status"),
    ("create", "deployments.apps"),
    ("patch", "deployments.apps"),
    ("delete", "deployments.apps"),
    ("create", "services"),
    ("patch", "configmaps"),
    ("list", "horizontalpodautoscalers.autoscaling"),
    ("delete", "poddisruptionbudgets.policy"),
    ("create", "networkpolicies.networking.k8s.io"),
    ("create", "httproutes.gateway.networking.k8s.io"),
    ("create", "servicemonitors.monitoring.coreos.com"),
    ("get", "secrets"),
    ("list", "secrets"),
    ("watch", "secrets"),
    ("watch", "deployments.apps"),
    ("watch", "configmaps"),
    ("create", "events"),
]
DENIED = [
    ("create", "secrets"),
    ("patch", "secrets"),
    ("update", "secrets"),
    ("delete", "secrets"),
    ("create", "pods"),
    ("delete", "pods"),
    ("create", "pods/exec"),
    ("delete", "flaskservices.flaskops.io"),
    ("create", "flaskservices.flaskops.io"),
    ("update", "deployments.apps"),
    ("create", "roles.rbac.authorization.k8s.io"),
    ("create", "rolebindings.rbac.authorization.k8s.io"),
    ("create", "serviceaccounts/token"),
    ("delete", "namespaces"),
    # kopf's scanning is off: nothing cluster-wide to list or watch.
    ("list", "namespaces"),
    ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
    ("*", "*"),
]


@pytest.fixture
def operator_account(
    helm: Helm, kubectl: Kubectl, namespace: str, flaskservice_crd: str, third_party_crds: None
) -> Iterator[str]:
    release = install_operator_chart(helm, kubectl, namespace)
    yield f"system:serviceaccount:{namespace}:{release}"
    uninstall_operator_chart(helm, namespace, release)


def can(kubectl: Kubectl, who: str, verb: str, resource: str, namespace: str) -> bool:
    # kubectl reads "a/b" as resource a named b: subresources go in their own flag.
    resource, _, sub = resource.partition("/")
    extra = [f"--subresource={sub}"] if sub else []
    proc = kubectl.run(
        "auth", "can-i", verb, resource, *extra, "-n", namespace, "--as", who, check=False
    )
    return proc.stdout.strip() == "yes"


def test_operator_may_do_what_it_needs_in_its_namespace(
    kubectl: Kubectl, operator_account: str, namespace: str
) -> None:
    missing = [(v, r) for v, r in ALLOWED if not can(kubectl, operator_account, v, r, namespace)]
    assert missing == []


def test_operator_may_not_do_more(kubectl: Kubectl, operator_account: str, namespace: str) -> None:
    extra = [(v, r) for v, r in DENIED if can(kubectl, operator_account, v, r, namespace)]
    assert extra == []


def test_watch_namespaces_confine_it(
    kubectl: Kubectl, operator_account: str, namespace: str
) -> None:
    # Installed with watchNamespaces=[namespace]: nothing namespaced elsewhere.
    for verb, resource in ALLOWED:
        if resource.startswith("flaskservices") or resource == "events":
            continue
        assert not can(kubectl, operator_account, verb, resource, "default"), (verb, resource)


def _rules(helm: Helm, *args: str) -> list[dict[str, object]]:
    out = helm.run("template", "op", str(OPERATOR_CHART), *args).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    return [r for d in docs if d["kind"] == "ClusterRole" for r in d["rules"]]


def test_no_wildcards_and_rbac_matches_what_the_operator_prunes(helm: Helm) -> None:
    rules = _rules(helm)
    text = json.dumps(rules)
    assert '"*"' not in text
    granted = {
        (group, resource)
        for r in rules
        if {"create", "patch", "delete", "list"} <= set(r["verbs"])  # type: ignore[arg-type]
        for group in r["apiGroups"]  # type: ignore[union-attr]
        for resource in r["resources"]  # type: ignore[union-attr]
    }
    plural = {
        "Deployment": "deployments", "Service": "services", "ServiceAccount": "serviceaccounts",
        "ConfigMap": "configmaps", "HorizontalPodAutoscaler": "horizontalpodautoscalers",
        "PodDisruptionBudget": "poddisruptionbudgets", "NetworkPolicy": "networkpolicies",
        "Ingress": "ingresses", "HTTPRoute": "httproutes", "ServiceMonitor": "servicemonitors",
        "PodMonitor": "podmonitors", "PrometheusRule": "prometheusrules",
    }  # fmt: skip
    managed = {(api_version.rpartition("/")[0], plural[kind]) for api_version, kind in PRUNABLE}
    assert granted == managed
