"""Start the reference services (examples/services/*) under real gunicorn, as stand-ins for pods.

    with start_service("catalog", {"SERVICE_VERSION": "1.0.0"}) as catalog:
        requests.get(f"{catalog.url}/items/1")

Each instance gets a free loopback port, its own prometheus multiprocess directory and a
log file; start_service returns once /readyz answers 200, and stop() sends SIGTERM (the
graceful shutdown a pod gets) and waits. The project venv's interpreter runs gunicorn, so
what is tested is what `uv run --frozen gunicorn -c examples/services/<name>/gunicorn.conf.py`
runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from tests.support.process import wait_until_ready
from tests.support.prometheus import free_port

REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "examples" / "services"

_TMPFS = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Variables a developer's shell might carry that would change what a service does.
_ISOLATED_PREFIXES = ("OTEL_", "FAULT_", "FLASKOPS_", "GUNICORN_", "PROMETHEUS_MULTIPROC_DIR")


def service_env(name: str, port: int, workers: int, env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    base.update(
        {
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            # tmpfs, as in a pod (emptyDir medium: Memory): see flaskops_flask.gunicorn.
            "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix=f"prom-{name}-", dir=_TMPFS),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if "OTEL_EXPORTER_OTLP_ENDPOINT" not in env and "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" not in env:
        # No collector given: keep spans (for log correlation) but do not try to export.
        base["OTEL_TRACES_EXPORTER"] = "none"
    base.update(env)
    return base


class RunningService:
    """A gunicorn master with its workers; a context manager that stops it on exit."""

    def __init__(
        self,
        name: str,
        port: int,
        proc: subprocess.Popen[bytes],
        env: dict[str, str],
        log_path: Path,
        workers: int,
    ) -> None:
        self.name = name
        self.workers = workers
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = proc
        self.env = env
        self.log_path = log_path
        self.multiproc_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON lines of the log (gunicorn's and the app's); other lines are skipped."""
        records = []
        for line in self.logs().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    records.append(json.loads(line))
        return records

    def wait_ready(self, path: str = "/readyz", timeout: float = 30) -> None:
        """Until `path` answers 200 and every worker has loaded the app."""

        def ready() -> bool:
            ok = requests.get(self.url + path, timeout=2).status_code == 200
            return ok and self.booted_workers() >= self.workers

        try:
            wait_until_ready(self.proc, ready, self.name, self.log_path, timeout)
        except RuntimeError:
            self.stop()
            raise

    def booted_workers(self) -> int:
        """Workers that finished loading the app: each writes its info gauge file on start.
        (Without metrics there is no such signal; the first answer has to do.)"""
        if self.env.get("FLASKOPS_METRICS", "1").lower() in {"0", "false", "no", "off"}:
            return self.workers
        return len(list(self.multiproc_dir.glob("gauge_max_*.db")))

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (graceful), then SIGKILL after `timeout`; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> RunningService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_service(
    name: str,
    env: dict[str, str] | None = None,
    workers: int = 2,
    *,
    wait_for: str | None = "/readyz",
    log_dir: Path | None = None,
    cpus: str | None = None,
    python: Path | None = None,
    conf: Path | None = None,
    port: int | None = None,
) -> RunningService:
    """Start examples/services/<name> under gunicorn on a free loopback port.

    `env` is added to a clean environment (BIND, WEB_CONCURRENCY and a fresh
    PROMETHEUS_MULTIPROC_DIR are set for you; OTEL_TRACES_EXPORTER=none unless you pass an
    OTLP endpoint). `wait_for=None` returns without waiting (e.g. a service that must
    start unready); otherwise returns when that path answers 200. `cpus` pins the master
    and its workers with taskset (benchmarks). `python` runs gunicorn from another venv
    (tests/support/venvs.py) and `conf` names another app's gunicorn.conf.py. `port`: a port
    picked in advance (a service that must know its own URL, e.g. the token issuer's `iss`).
    """
    conf = conf or SERVICES_DIR / name / "gunicorn.conf.py"
    if not conf.is_file():
        raise FileNotFoundError(f"no service {name!r}: {conf} missing")
    port = port or free_port()
    full_env = service_env(name, port, workers, env or {})
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix=f"svc-{name}-"))
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                *(["taskset", "-c", cpus] if cpus else []),
                str(python or sys.executable),
                "-m",
                "gunicorn",
                "-c",
                str(conf),
            ],
            env=full_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # SIGKILL of the group reaches workers too
        )
    service = RunningService(name, port, proc, full_env, log_path, workers)
    if wait_for is not None:
        service.wait_ready(wait_for)
    return service
