"""The Argo CD and Flux manifests of examples/gitops/ are valid objects of the CRDs they are
written for (hack/crds.sh gitops: Flux's source, kustomize and helm controllers, Argo CD):
a server-side dry-run in the local cluster, where a misspelt field is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.kube import CommandError, Kubectl
from tests.support.tools import REPO

GITOPS = REPO / "examples/gitops"
# kind -> the CRD that serves it (ConfigMap: none, the argocd-cm snippet).
KINDS = {
    "Application": "applications.argoproj.io",
    "ApplicationSet": "applicationsets.argoproj.io",
    "ConfigMap": "",
    "GitRepository": "gitrepositories.source.toolkit.fluxcd.io",
    "HelmRelease": "helmreleases.helm.toolkit.fluxcd.io",
    "Kustomization": "kustomizations.kustomize.toolkit.fluxcd.io",
    "OCIRepository": "ocirepositories.source.toolkit.fluxcd.io",
}


def manifests(namespace: str) -> list[dict[str, Any]]:
    """Every object under examples/gitops/argocd and flux/, moved into this test's namespace."""
    objs = []
    for path in sorted(GITOPS.glob("*/*.yaml")):
        for obj in yaml.safe_load_all(path.read_text()):
            obj["metadata"]["namespace"] = namespace
            objs.append(obj)
    return objs


@pytest.mark.usefixtures("gitops_crds")
def test_gitops_manifests_pass_a_server_side_dry_run(kubectl: Kubectl, namespace: str) -> None:
    objs = manifests(namespace)
    assert sorted({o["kind"] for o in objs}) == sorted(KINDS)
    proc = kubectl.apply(objs, "--dry-run=server", "-n", namespace)
    assert proc.stdout.count("(server dry run)") == len(objs), proc.stdout
    assert "Warning" not in proc.stderr, proc.stderr


@pytest.mark.usefixtures("gitops_crds")
@pytest.mark.parametrize(
    ("kind", "field", "misspelt"),
    [
        ("Application", "syncPolicy", "syncPolicies"),
        ("HelmRelease", "chartRef", "chartRefs"),
        ("Kustomization", "healthChecks", "healthCheck"),
    ],
)
def test_a_misspelt_field_is_refused(
    kubectl: Kubectl, namespace: str, kind: str, field: str, misspelt: str
) -> None:
    """Guards the guard: the CRDs' schemas are enforced, unknown fields included."""
    obj = next(o for o in manifests(namespace) if o["kind"] == kind)
    obj["spec"][misspelt] = obj["spec"].pop(field)
    with pytest.raises(CommandError) as err:
        kubectl.apply(obj, "--dry-run=server", "-n", namespace)
    assert f'unknown field "spec.{misspelt}"' in err.value.stderr, err.value.stderr


def test_every_gitops_file_is_checked() -> None:
    files = sorted(p.relative_to(GITOPS) for p in GITOPS.glob("*/*.yaml"))
    assert files == [
        Path("argocd/argocd-cm.yaml"),
        Path("argocd/flaskservices-applicationset.yaml"),
        Path("argocd/operator-application.yaml"),
        Path("flux/flaskservices.yaml"),
        Path("flux/operator.yaml"),
    ]
