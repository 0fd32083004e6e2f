"""Run the real operator process against the local cluster, as its own ServiceAccount.

The operator chart is installed (RBAC, ServiceAccount; its Deployment lands as a fake pod
on a KWOK node), and the operator process runs here with a kubeconfig holding that
ServiceAccount's token, so every test that uses it also proves the chart's RBAC is enough.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from tests.support.kube import Helm, Kubectl
from tests.support.process import wait_until_ready
from tests.support.prometheus import free_port
from tests.support.tools import REPO, require

OPERATOR_CHART = REPO / "charts/flaskops-operator"
SERVICE_CHART = REPO / "charts/flask-service"


def serviceaccount_kubeconfig(
    kubectl: Kubectl, namespace: str, serviceaccount: str, path: Path
) -> Path:
    """A kubeconfig that authenticates as the ServiceAccount (a bound token)."""
    token = kubectl.run(
        "create", "token", serviceaccount, "-n", namespace, "--duration=2h"
    ).stdout.strip()
    admin = yaml.safe_load(kubectl.kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    ca = cluster.get("certificate-authority-data")
    if ca is None and cluster.get("certificate-authority"):
        ca = base64.b64encode(Path(cluster["certificate-authority"]).read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": cluster["server"], "certificate-authority-data": ca},
            }
        ],
        "users": [{"name": serviceaccount, "user": {"token": token}}],
        "contexts": [
            {
                "name": "sa",
                "context": {"cluster": "c", "user": serviceaccount, "namespace": namespace},
            }
        ],
        "current-context": "sa",
    }
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class OperatorProcess:
    namespace: str
    kubeconfig: Path
    workdir: Path
    resync: float = 2.0
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    metrics_port: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / "operator.log"

    def start(self) -> OperatorProcess:
        # A free port can be taken by another process before the operator binds it (the
        # machine runs many suites at once): try again on a fresh one.
        for attempt in range(3):
            try:
                return self._start()
            except RuntimeError:
                if attempt == 2 or "Address already in use" not in self.logs()[-2000:]:
                    raise
        raise AssertionError("unreachable")

    def _start(self) -> OperatorProcess:
        self.metrics_port = free_port()
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "FLASKOPS_CHART": str(SERVICE_CHART),
            "FLASKOPS_HELM": require("helm"),
            "FLASKOPS_RESYNC_SECONDS": str(self.resync),
            "HELM_CACHE_HOME": str(self.workdir / "helm-cache"),
            "HELM_CONFIG_HOME": str(self.workdir / "helm-config"),
            **self.extra_env,
        }
        argv = [
            sys.executable, "-m", "flaskops.operator_main",
            "--namespace", self.namespace,
            "--metrics-port", str(self.metrics_port), "--metrics-address", "127.0.0.1",
            "--health-port", "0",
            *self.extra_args,
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
            )
        wait_until_ready(
            self.proc,
            lambda: requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=1).ok,
            "operator",
            self.log_path,
            120,  # imports alone take tens of seconds on a loaded 2-core machine
        )
        return self

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def kill(self) -> None:
        """SIGKILL: no cleanup, no last status write, as a crashed pod."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def install_operator_chart(helm: Helm, kubectl: Kubectl, namespace: str, *extra: str) -> str:
    """The operator's release in `namespace`, watching only it; returns its ServiceAccount."""
    release = f"flaskops-{namespace}"[:53]
    helm.run(
        "install", release, str(OPERATOR_CHART), "-n", namespace,
        "--set", "crds.install=false", "--set", f"watchNamespaces={{{namespace}}}",
        "--set", "metrics.serviceMonitor.enabled=false", *extra,
    )  # fmt: skip
    return release


def uninstall_operator_chart(helm: Helm, namespace: str, release: str) -> None:
    helm.run("uninstall", release, "-n", namespace, check=False)


def events(kubectl: Kubectl, namespace: str, name: str) -> list[dict[str, object]]:
    out = kubectl.run(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name}",
        "-o",
        "json",
    ).stdout
    return list(json.loads(out)["items"])
