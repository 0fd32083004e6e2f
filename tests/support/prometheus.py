"""A real Prometheus server (3.x, built by `make tools`) on a free loopback port.

Targets are added through file-based service discovery, so a test can attach the labels
the canary analysis selects on (namespace, service, track) without restarting the server.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.process import stop, wait_until_ready

# Its own source: hypothesis and others seed `random`, and parallel workers must not pick
# the same sequence of ports.
_PORTS = random.SystemRandom()


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range. A server restarted on its
    port (Prometheus, the fault suite's) can otherwise find it taken by some client
    connection's local port, which the kernel hands out from that range. Below 30000:
    kwokctl takes its clusters' ports counting down from 32767."""
    floor = min(_ephemeral_floor(), 30000)
    for _ in range(200):
        port = _PORTS.randrange(10000, floor)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in 10000-{floor - 1} after 200 tries")


class Prometheus:
    def __init__(
        self, binary: str, workdir: Path, scrape_interval: str = "1s", port: int | None = None
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sd_dir = workdir / "targets"
        self.sd_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "scrape_configs": [
                {
                    "job_name": "flaskops",
                    "file_sd_configs": [
                        {"files": [str(self.sd_dir / "*.json")], "refresh_interval": "1s"}
                    ],
                }
            ],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.binary = binary
        self.start()

    def start(self) -> None:
        """(Re)start on the same port and storage, so URLs in specs stay valid."""
        workdir, binary = self.workdir, self.binary
        self._log = (workdir / "prometheus.log").open("a")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                # Prometheus 3's OTLP endpoint (/api/v1/otlp/v1/metrics): where the
                # collector gateway's optional span metrics go.
                "--web.enable-otlp-receiver",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        wait_until_ready(
            self.proc,
            lambda: requests.get(f"{self.url}/-/ready", timeout=1).ok,
            "prometheus",
            self.workdir / "prometheus.log",
            timeout,
        )

    def add_target(self, name: str, address: str, labels: dict[str, str] | None = None) -> None:
        """Scrape `address` (host:port) with extra target labels; replaces a target of that name."""
        group = [{"targets": [address], "labels": labels or {}}]
        tmp = self.sd_dir / f".{name}.tmp"
        tmp.write_text(json.dumps(group))
        tmp.rename(self.sd_dir / f"{name}.json")  # atomic: Prometheus never reads half a file

    def remove_target(self, name: str) -> None:
        (self.sd_dir / f"{name}.json").unlink(missing_ok=True)

    def query(self, promql: str) -> list[dict[str, Any]]:
        resp = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def wait_for(
        self, promql: str, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 30
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(promql)
            if predicate(result):
                return result
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting on {promql!r}; last result: {result}")

    def kill(self) -> None:
        """SIGKILL, as a crashed or evicted Prometheus."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()
