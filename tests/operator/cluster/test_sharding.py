"""Sharding like Flux: two operator releases split the FlaskServices by `flaskops.io/shard`
and never both act on one (the API server's audit log names who wrote what)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.operator.cluster.test_lifecycle import fsvc, ready
from tests.support.audit import AuditLog, audit_log_path, serviceaccount_user
from tests.support.kube import Helm, Kubectl
from tests.support.operator import (
    OPERATOR_CHART,
    OperatorProcess,
    serviceaccount_kubeconfig,
    uninstall_operator_chart,
)

SERVICES = 16  # half of them labelled; kept small, the machine runs everything at once
WRITES = {"create", "patch", "update", "delete"}


def spec(tag: str = "1.0.0") -> dict[str, Any]:
    return {"image": {"repository": "registry.example/catalog", "tag": tag}}


def labelled(name: str, shard: str | None, tag: str = "1.0.0") -> dict[str, Any]:
    obj = fsvc(spec(tag), name)
    if shard:
        obj["metadata"]["labels"] = {"flaskops.io/shard": shard}
    return obj


@pytest.fixture
def shards(
    helm: Helm, kubectl: Kubectl, namespace: str, flaskservice_crd: str, tmp_path: Path
) -> Iterator[dict[str, tuple[str, OperatorProcess]]]:
    """Two releases of the operator chart, as a platform team would run them: one for shard
    `blue`, one for the unlabelled FlaskServices; each its own ServiceAccount."""
    running: dict[str, tuple[str, OperatorProcess]] = {}
    releases = []
    for shard, values, flags in (
        ("blue", ["--set", "sharding.shard=blue"], ("--shard", "blue")),
        ("", ["--set", "sharding.unlabelled=true"], ("--shard-unlabelled",)),
    ):
        release = f"op-{shard or 'unlabelled'}"
        helm.run(
            "install", release, str(OPERATOR_CHART), "-n", namespace,
            "--set", "crds.install=false", "--set", f"watchNamespaces={{{namespace}}}",
            "--set", "metrics.serviceMonitor.enabled=false", *values,
        )  # fmt: skip
        releases.append(release)
        workdir = tmp_path / release
        workdir.mkdir()
        kubeconfig = serviceaccount_kubeconfig(kubectl, namespace, release, workdir / "kubeconfig")
        op = OperatorProcess(namespace, kubeconfig, workdir, resync=600.0, extra_args=flags)
        running[shard] = (serviceaccount_user(namespace, release), op.start())
    yield running
    for _, op in running.values():
        op.stop()
    for release in releases:
        uninstall_operator_chart(helm, namespace, release)


def writers(audit: AuditLog, mark: int, users: set[str]) -> dict[str, set[str]]:
    """FlaskService name -> operators that wrote it or its children."""
    out: dict[str, set[str]] = defaultdict(set)
    for event in audit.events(mark):
        user = event["user"]["username"]
        ref = event.get("objectRef") or {}
        if user not in users or event["verb"] not in WRITES or not ref.get("name"):
            continue
        out[ref["name"].removesuffix("-canary")].add(user)
    return out


def test_two_shards_split_the_services_and_never_both_act_on_one(
    shards: dict[str, tuple[str, OperatorProcess]], kubectl: Kubectl, namespace: str
) -> None:
    audit = AuditLog(audit_log_path(kubectl.kubeconfig))
    mark = audit.mark()
    owner = {f"svc-{i}": "blue" if i % 2 else "" for i in range(SERVICES)}
    kubectl.apply([labelled(n, s) for n, s in owner.items()], "-n", namespace)
    for name in owner:
        kubectl.wait_for(f"flaskservice/{name}", ready, "-n", namespace, timeout=120)
    users = {user for user, _ in shards.values()}
    time.sleep(1)
    seen = writers(audit, mark, users)
    for name, shard in owner.items():
        assert seen[name] == {shards[shard][0]}, (name, seen[name])

    # Relabel one unlabelled service into `blue`: from then on only blue's operator acts.
    moved = "svc-0"
    mark = audit.mark()
    kubectl.apply(labelled(moved, "blue"), "-n", namespace)
    time.sleep(2)
    kubectl.apply(labelled(moved, "blue", tag="1.1.0"), "-n", namespace)
    kubectl.wait_for(
        f"flaskservice/{moved}",
        lambda o: ready(o) and o["status"]["image"].endswith(":1.1.0"),
        "-n",
        namespace,
        timeout=60,
    )
    assert writers(audit, mark, users)[moved] == {shards["blue"][0]}
