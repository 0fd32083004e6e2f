"""Waiting on a child process to become usable, failing fast (with its log) if it dies;
stopping it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def wait_until_ready(
    proc: subprocess.Popen[bytes] | subprocess.Popen[str],
    ready: Callable[[], bool],
    what: str,
    log: Path,
    timeout: float = 30,
    interval: float = 0.1,
) -> None:
    """Poll `ready()` (exceptions count as not ready) until it is true; raise if `proc`
    exits first or `timeout` passes, with the process's log in the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if ready():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} not ready within {timeout}s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; reaps it either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
