"""A real OCI registry (CNCF distribution, built by `make tools`) on loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.process import wait_until_ready
from tests.support.prometheus import free_port


class Registry:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        config = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(workdir / "data")}},
            "http": {"addr": self.host},
        }
        (workdir / "config.yml").write_text(yaml.safe_dump(config))
        self.log = workdir / "registry.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [binary, "serve", str(workdir / "config.yml")], stdout=out, stderr=subprocess.STDOUT
            )
        wait_until_ready(self.proc, lambda: self.get("/v2/").ok, "registry", self.log)

    def get(self, path: str, accept: str = "") -> requests.Response:
        headers = {"Accept": accept} if accept else {}
        return requests.get(f"http://{self.host}{path}", headers=headers, timeout=5)

    def manifest(self, repo: str, ref: str) -> tuple[str, Any]:
        """(digest, manifest) as the registry serves them."""
        r = self.get(f"/v2/{repo}/manifests/{ref}", "application/vnd.oci.image.manifest.v1+json")
        r.raise_for_status()
        return r.headers["Docker-Content-Digest"], r.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
