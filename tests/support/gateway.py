"""The shipped collector gateway config, validated and run by the `otelcol-gateway` binary
(`make tools`: exactly the components the config names).

A test runs the file users deploy, unchanged, with a small overlay merged last (the
collector merges `--config` files in order, maps deeply, lists replaced): loopback ports,
the backend's address in plaintext, and a kubeconfig for k8s_attributes instead of the
in-cluster ServiceAccount.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.support.process import stop, wait_until_ready
from tests.support.prometheus import free_port

REPO = Path(__file__).resolve().parents[2]
COLLECTOR_FILES = REPO / "charts/flaskops-observability/files/collector"
GATEWAY_CONFIG = COLLECTOR_FILES / "gateway.yaml"
SPANMETRICS_CONFIG = COLLECTOR_FILES / "spanmetrics.yaml"


def validate(binary: str, *configs: Path) -> subprocess.CompletedProcess[str]:
    """`otelcol-gateway validate`: loads, merges and builds every component, runs nothing."""
    args = [f"--config={c}" for c in configs]
    return subprocess.run(
        [binary, "validate", *args], capture_output=True, text=True, timeout=60, check=False
    )


def local_overlay(
    grpc_port: int, http_port: int, traces_endpoint: str, kubeconfig: Path | None
) -> dict[str, Any]:
    overlay: dict[str, Any] = {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"127.0.0.1:{grpc_port}"},
                    "http": {"endpoint": f"127.0.0.1:{http_port}"},
                }
            }
        },
        "exporters": {
            "otlp_grpc/traces": {
                "endpoint": traces_endpoint,
                "tls": {"insecure": True},
                # Tests and the demo want spans at once, not in full batches.
                "sending_queue": {"batch": {"flush_timeout": "200ms", "min_size": 1}},
            }
        },
        # Its own metrics would listen on :8888 and clash between parallel runs.
        "service": {"telemetry": {"metrics": {"level": "none"}}},
    }
    if kubeconfig is not None:
        # Start only once the pod list is in: the test's first span must find its pod.
        overlay["processors"] = {
            "k8s_attributes": {"auth_type": "kubeConfig", "wait_for_metadata": True}
        }
    return overlay


class Gateway:
    def __init__(
        self,
        binary: str,
        workdir: Path,
        traces_endpoint: str,
        kubeconfig: Path | None = None,
        configs: Sequence[Path] = (GATEWAY_CONFIG,),
    ) -> None:
        """`configs`: the shipped files in the order users pass them (gateway.yaml first)."""
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        grpc_port, self.http_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.http_port}"  # OTLP/HTTP, what services send
        overlay = workdir / "local.yaml"
        overlay.write_text(
            yaml.safe_dump(local_overlay(grpc_port, self.http_port, traces_endpoint, kubeconfig))
        )
        self.configs = [*configs, overlay]
        env = dict(os.environ)
        if kubeconfig is not None:
            env["KUBECONFIG"] = str(kubeconfig)
        self.log_path = workdir / "gateway.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [binary, *(f"--config={c}" for c in self.configs)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_until_ready(self.proc, self._listening, "collector gateway", self.log_path)

    def _listening(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=1):
            return True

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()
