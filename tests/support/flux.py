"""Flux's kustomize-controller (built by `make tools`) as a process against the test
cluster, fed by an ExternalArtifact that the test produces itself: a .tar.gz of manifests
served on loopback, announced in the ExternalArtifact's status as a third-party source
producer does (source-controller does not build here, see examples/gitops/README.md)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import subprocess
import tarfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.kube import Kubectl
from tests.support.process import stop, wait_until_ready
from tests.support.prometheus import free_port


class ArtifactServer:
    """Plain HTTP on 127.0.0.1 serving the files of one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, name: str, files: dict[str, Any]) -> dict[str, Any]:
        """Write `name` (a .tar.gz of files: path -> object or list of objects, as YAML) and
        return the status.artifact that announces it."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for path, objs in sorted(files.items()):
                data = yaml.safe_dump_all(objs if isinstance(objs, list) else [objs]).encode()
                info = tarfile.TarInfo(path)
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
        blob = buf.getvalue()
        (self.root / name).write_bytes(blob)
        digest = hashlib.sha256(blob).hexdigest()
        return {
            "path": name,
            "url": f"{self.url}/{name}",
            "revision": f"main@sha256:{digest}",
            "digest": f"sha256:{digest}",
            "size": len(blob),
            "lastUpdateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def external_artifact(
    kubectl: Kubectl, namespace: str, name: str, artifact: dict[str, Any]
) -> dict[str, Any]:
    """Create (or update) the ExternalArtifact and write its status as its producer."""
    kubectl.apply(
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "ExternalArtifact",
            "metadata": {"name": name},
            # The producer: here the test itself (any object may be named).
            "spec": {"sourceRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": name}},
        },
        "-n",
        namespace,
    )
    now = artifact["lastUpdateTime"]
    status = {
        "artifact": artifact,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Succeeded",
                "message": f"produced revision {artifact['revision']}",
                "lastTransitionTime": now,
            }
        ],
    }
    kubectl.run(
        "patch", f"externalartifact/{name}", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", yaml.safe_dump({"status": status}),
    )  # fmt: skip
    return dict(kubectl.json("get", f"externalartifact/{name}", "-n", namespace))


class KustomizeController:
    """kustomize-controller watching one namespace, as the admin kubeconfig (a Flux
    install gives it cluster-admin), with the ExternalArtifact source kind enabled."""

    def __init__(self, binary: str, kubeconfig: Path, namespace: str, workdir: Path) -> None:
        self.log = workdir / "kustomize-controller.log"
        tmp = workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        for attempt in range(3):  # a free port may be taken before the controller binds it
            self.health_port = free_port()
            argv = [
                binary,
                "--metrics-addr=0",
                f"--health-addr=127.0.0.1:{self.health_port}",
                "--watch-all-namespaces=false",
                "--no-cross-namespace-refs=true",
                "--enable-leader-election=false",
                "--feature-gates=ExternalArtifact=true",
                "--http-retry=2",
                "--log-encoding=console",
            ]
            env = {
                **os.environ,
                "KUBECONFIG": str(kubeconfig),
                "RUNTIME_NAMESPACE": namespace,  # what --watch-all-namespaces=false watches
                "TMPDIR": str(tmp),  # where it unpacks artifacts and purges stale dirs
            }
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_until_ready(
                    self.proc,
                    lambda: (
                        requests.get(f"http://127.0.0.1:{self.health_port}/readyz", timeout=1).ok
                    ),
                    "kustomize-controller",
                    self.log,
                    60,
                )
                return
            except RuntimeError:
                self.stop()
                if attempt == 2 or "address already in use" not in self.logs()[-2000:]:
                    raise

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop(self.proc, 20)


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == kind:
            return dict(c)
    return {}


def parse_time(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def watch(kubectl: Kubectl, what: str, namespace: str, seconds: float) -> list[dict[str, Any]]:
    """Every state of `what` seen by polling for `seconds` (for asserting what never happens)."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(kubectl.json("get", what, "-n", namespace))
        time.sleep(0.5)
    return seen
