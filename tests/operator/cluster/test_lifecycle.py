"""A FlaskService becomes its chart's children, follows edits, and takes them along on delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.support.kube import Helm, Kubectl
from tests.support.operator import SERVICE_CHART, OperatorProcess
from tests.support.otel import OtelCollector, Span

NAME = "catalog"


def fsvc(spec: dict[str, Any], name: str = NAME) -> dict[str, Any]:
    return {
        "apiVersion": "flaskops.io/v1alpha1",
        "kind": "FlaskService",
        "metadata": {"name": name},
        "spec": spec,
    }


def ready(obj: dict[str, Any]) -> bool:
    st = obj.get("status") or {}
    conds = {c["type"]: c["status"] for c in st.get("conditions") or []}
    return (
        st.get("observedGeneration") == obj["metadata"]["generation"]
        and conds.get("Ready") == "True"
    )


def chart_objects(
    helm: Helm, namespace: str, values: dict[str, Any], tmp_path: Path
) -> set[tuple[str, str]]:
    """(kind, name) of what `helm template` renders for these values, computed independently
    of the operator."""
    f = tmp_path / "values.json"
    f.write_text(json.dumps({**values, "fullnameOverride": NAME}))
    out = helm.run(
        "template", NAME, str(SERVICE_CHART), "-n", namespace, "-f", str(f), "--no-hooks"
    ).stdout
    return {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(out) if d}


def owned_children(kubectl: Kubectl, namespace: str, uid: str) -> set[tuple[str, str]]:
    kinds = "deployments,services,serviceaccounts,configmaps,horizontalpodautoscalers,poddisruptionbudgets,networkpolicies,ingresses"
    items = kubectl.json("get", kinds, "-n", namespace, "-l", f"flaskops.io/flaskservice={NAME}")[
        "items"
    ]
    out = set()
    for item in items:
        refs = item["metadata"].get("ownerReferences") or []
        assert any(r["uid"] == uid and r.get("controller") for r in refs), item["metadata"]["name"]
        out.add((item["kind"], item["metadata"]["name"]))
    return out


def test_flaskservice_becomes_ready_with_every_child_owned(
    operator: OperatorProcess, kubectl: Kubectl, helm: Helm, namespace: str, tmp_path: Path
) -> None:
    spec = {
        "image": {"repository": "registry.example/catalog", "tag": "1.0.0"},
        "replicaCount": 2,
        "config": {"data": {"GREETING": "hello"}},
    }
    kubectl.apply(fsvc(spec), "-n", namespace)
    obj = kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)
    assert obj["status"]["phase"] == "Ready"
    assert obj["status"]["image"] == "registry.example/catalog:1.0.0"

    expected = chart_objects(helm, namespace, spec, tmp_path)
    assert ("Deployment", NAME) in expected
    assert owned_children(kubectl, namespace, obj["metadata"]["uid"]) == expected
    deploy = kubectl.json("get", f"deployment/{NAME}", "-n", namespace)
    assert deploy["status"]["readyReplicas"] == 2
    assert (
        deploy["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.example/catalog:1.0.0"
    )

    # Edit: more replicas and a PDB off; the children follow and the PDB is pruned.
    spec2 = {**spec, "replicaCount": 3, "podDisruptionBudget": {"enabled": False}}
    kubectl.apply(fsvc(spec2), "-n", namespace)
    kubectl.wait_for(f"deployment/{NAME}", lambda d: d["spec"]["replicas"] == 3, "-n", namespace)
    obj = kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)
    assert owned_children(kubectl, namespace, obj["metadata"]["uid"]) == chart_objects(
        helm, namespace, spec2, tmp_path
    )

    # Delete: the garbage collector removes every child through the owner references.
    kubectl.run("delete", f"flaskservice/{NAME}", "-n", namespace, "--timeout=60s")
    kubectl.wait_for(
        "deployments,services,configmaps",
        lambda objs: (
            not [
                o
                for o in objs["items"]
                if o["metadata"].get("labels", {}).get("flaskops.io/flaskservice") == NAME
            ]
        ),
        "-n",
        namespace,
        timeout=60,
    )


def test_reconciles_are_traced_to_a_real_collector(
    operator: OperatorProcess, kubectl: Kubectl, namespace: str, otel_collector: OtelCollector
) -> None:
    kubectl.apply(
        fsvc({"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}}), "-n", namespace
    )
    kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)

    def ours(spans: list[Span]) -> list[Span]:
        return [
            s for s in spans
            if s.name == "flaskops.reconcile" and s.attributes.get("k8s.namespace.name") == namespace
        ]  # fmt: skip

    spans = ours(otel_collector.wait_for_spans(lambda all_spans: bool(ours(all_spans))))
    assert spans[0].service == "flaskops-operator"
    assert spans[0].attributes["flaskops.name"] == NAME
    assert "Ready" in {s.attributes.get("flaskops.phase") for s in spans}


def test_a_resync_with_nothing_changed_does_not_render_again(
    operator: OperatorProcess, kubectl: Kubectl, namespace: str
) -> None:
    spec = {"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}}
    kubectl.apply(fsvc(spec), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)
    before = kubectl.json("get", f"deployment/{NAME}", "-n", namespace)["metadata"][
        "resourceVersion"
    ]
    renders = _metric(operator.metrics(), "flaskops_helm_renders_total")
    reconciles = _metric(operator.metrics(), "flaskops_reconcile_duration_seconds_count")
    import time

    time.sleep(5)  # the operator resyncs every 2s here
    assert _metric(operator.metrics(), "flaskops_reconcile_duration_seconds_count") > reconciles
    assert _metric(operator.metrics(), "flaskops_helm_renders_total") == renders
    after = kubectl.json("get", f"deployment/{NAME}", "-n", namespace)["metadata"][
        "resourceVersion"
    ]
    assert after == before, "an idle resync changed the Deployment"


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")
