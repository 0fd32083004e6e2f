"""A real Redis server (Debian `redis-server`) on a free loopback port, for one test session.

No persistence (no RDB snapshots, no AOF) and a private temporary directory, so nothing
survives the run and two runs never share data. `stop()` ends the process by its pid.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from tests.support.process import stop, wait_until_ready
from tests.support.prometheus import free_port


class RedisServer:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        log_path = workdir / "redis.log"
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(workdir),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "yes",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_ready(self.proc, lambda: bool(self.client().ping()), "redis", log_path, 15)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def flush(self) -> None:
        """Forget every key: each test starts from an empty database."""
        self.client().flushall()

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()
