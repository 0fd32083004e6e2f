"""Stop and restart one process of a kwokctl cluster (binary runtime), as an outage would.

kwokctl keeps each component's pid in `<cluster>/pids/<name>.pid`; the restarted process
gets the same command line, working directory and environment, and its pid goes back into
that file, so `kwokctl delete cluster` still stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Component:
    cluster_dir: Path
    name: str  # kube-apiserver, etcd, ...
    argv: list[str] | None = None
    cwd: str | None = None
    env: dict[str, str] | None = None

    @property
    def pid_file(self) -> Path:
        return self.cluster_dir / "pids" / f"{self.name}.pid"

    def pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    def alive(self) -> bool:
        return Path(f"/proc/{self.pid()}").exists()

    def capture(self) -> Component:
        """Remember how the running process was started."""
        proc = Path(f"/proc/{self.pid()}")
        self.argv = [a.decode() for a in (proc / "cmdline").read_bytes().split(b"\0") if a]
        self.cwd = os.readlink(proc / "cwd")
        raw = (proc / "environ").read_bytes().split(b"\0")
        self.env = dict(e.decode().split("=", 1) for e in raw if b"=" in e)
        return self

    def stop(self) -> None:
        if self.argv is None:
            self.capture()
        pid = self.pid()
        proc = Path(f"/proc/{pid}")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while proc.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self) -> None:
        assert self.argv, "start() follows stop()"
        log = (self.cluster_dir / "logs" / f"{self.name}.log").open("ab")
        proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        self.pid_file.write_text(str(proc.pid))


class Supervisor(threading.Thread):
    """Restart components that exit, as kubelet restarts static pods: kube-controller-manager
    and kube-scheduler exit on purpose when they lose their leader lease during an outage."""

    def __init__(self, components: list[Component], paused: set[str]) -> None:
        super().__init__(daemon=True)
        self.components, self.paused = components, paused
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            for c in self.components:
                if c.name not in self.paused and c.argv and not c.alive():
                    c.start()
