"""Several operator replicas with kopf peering: one acts, the other waits and takes over."""

from __future__ import annotations

import time
from pathlib import Path

from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.support.kube import Helm, Kubectl
from tests.support.operator import (
    OperatorProcess,
    install_operator_chart,
    serviceaccount_kubeconfig,
    uninstall_operator_chart,
)


def reconciles(operator: OperatorProcess) -> float:
    for line in operator.metrics().splitlines():
        if line.startswith("flaskops_reconcile_duration_seconds_count "):
            return float(line.split()[1])
    raise AssertionError("reconcile metric missing")


def test_only_the_highest_priority_replica_acts_and_another_takes_over(
    helm: Helm, kubectl: Kubectl, namespace: str, flaskservice_crd: str, tmp_path: Path
) -> None:
    release = install_operator_chart(helm, kubectl, namespace, "--set", "peering.enabled=true")
    kubectl.wait_established("kopfpeerings.kopf.dev")
    kubeconfig = serviceaccount_kubeconfig(kubectl, namespace, release, tmp_path / "sa.kubeconfig")
    replicas = []
    for priority in (20, 10):
        workdir = tmp_path / f"p{priority}"
        workdir.mkdir()
        args = ("--peering", "--priority", str(priority))
        replicas.append(OperatorProcess(namespace, kubeconfig, workdir, extra_args=args).start())
    leader, standby = replicas
    try:
        kubectl.apply(
            fsvc({"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}}),
            "-n",
            namespace,
        )
        kubectl.wait_for(f"flaskservice/{NAME}", ready, "-n", namespace, timeout=60)
        time.sleep(3)  # a few resyncs: the standby would have reconciled by now
        assert reconciles(leader) > 0
        assert reconciles(standby) == 0

        # The leader leaves (a graceful stop withdraws it from the peering): the standby
        # resumes and handles the next change.
        leader.stop()
        kubectl.apply(
            fsvc({"image": {"repository": "registry.example/catalog", "tag": "1.1.0"}}),
            "-n",
            namespace,
        )
        done = kubectl.wait_for(
            f"flaskservice/{NAME}",
            lambda o: ready(o) and o["status"].get("image") == "registry.example/catalog:1.1.0",
            "-n",
            namespace,
            timeout=90,
        )
        assert done["status"]["phase"] == "Ready"
        assert reconciles(standby) > 0
        kubectl.run("delete", f"flaskservice/{NAME}", "-n", namespace, "--timeout=30s")
    finally:
        for replica in replicas:
            replica.stop()
        uninstall_operator_chart(helm, namespace, release)
