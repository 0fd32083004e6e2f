"""`kubectl flaskops` against a live rollout: list, status, pause, resume, promote, abort.

The canary here can never be judged (its Prometheus address answers nothing), so it holds
at its first step: exactly the moment a human steps in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from tests.operator.cluster.test_lifecycle import NAME, fsvc
from tests.operator.cluster.test_rollouts import phase
from tests.support.kube import Kubectl
from tests.support.operator import OperatorProcess


def cli(kubectl: Kubectl, *args: str) -> str:
    env = {**os.environ, "KUBECONFIG": str(kubectl.kubeconfig)}
    proc = subprocess.run(
        [sys.executable, "-m", "flaskops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def held_canary(tag: str) -> dict[str, Any]:
    return {
        "image": {"repository": "registry.example/catalog", "tag": tag},
        "rollout": {
            "strategy": "canary",
            "canary": {"steps": [10, 50], "interval": "5s"},
            "analysis": {
                "prometheus": {"url": "http://127.0.0.1:9"},  # discard port: nothing answers
                "window": "5s",
                "successRate": {"min": 99},
                "inconclusiveLimit": 50,
            },
        },
    }


def test_cli_steers_a_rollout(operator: OperatorProcess, kubectl: Kubectl, namespace: str) -> None:
    kubectl.apply(fsvc(held_canary("1.0.0")), "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    listed = cli(kubectl, "list", "-n", namespace)
    assert "NAME" in listed.splitlines()[0]
    assert (
        f"{NAME}  Ready" in " ".join(listed.split("  ")).replace("   ", "  ") or "Ready" in listed
    )

    kubectl.apply(fsvc(held_canary("1.1.0")), "-n", namespace)
    kubectl.wait_for(
        f"flaskservice/{NAME}",
        lambda o: ((o.get("status") or {}).get("rollout") or {}).get("inconclusiveChecks", 0) >= 1,
        "-n",
        namespace,
        timeout=60,
    )
    status = cli(kubectl, "status", NAME, "-n", namespace)
    assert "phase: Progressing" in status
    assert "step 1/2" in status
    assert "10%" in status
    assert "registry.example/catalog:1.1.0" in status
    assert "no data" in status  # the check's value, shown against its threshold

    cli(kubectl, "pause", NAME, "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Paused"), "-n", namespace, timeout=30)
    cli(kubectl, "resume", NAME, "-n", namespace)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Progressing"), "-n", namespace, timeout=30)

    out = cli(kubectl, "promote", NAME, "-n", namespace)
    assert "promote requested for revision" in out
    done = kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
    assert done["status"]["image"] == "registry.example/catalog:1.1.0"
    assert done["status"]["rollout"]["promotedManually"] is True

    kubectl.apply(fsvc(held_canary("1.2.0")), "-n", namespace)
    kubectl.wait_for(
        f"flaskservice/{NAME}",
        lambda o: (o.get("status") or {}).get("canaryRevision"),
        "-n",
        namespace,
    )
    cli(kubectl, "abort", NAME, "-n", namespace)
    failed = kubectl.wait_for(f"flaskservice/{NAME}", phase("Failed"), "-n", namespace, timeout=30)
    assert failed["status"]["image"] == "registry.example/catalog:1.1.0"
    assert "aborted by a human" in failed["status"]["message"]
