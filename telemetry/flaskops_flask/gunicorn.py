"""Gunicorn glue: the multiprocess metrics directory, dead-worker cleanup, JSON access log.

Use from a gunicorn.conf.py:

    from flaskops_flask.gunicorn import child_exit, json_logconfig, prepare_multiproc_dir
    prepare_multiproc_dir()          # before any worker imports prometheus_client
    logconfig_dict = json_logconfig("orders")

This module imports nothing from prometheus_client at import time: which value class
prometheus_client uses is fixed when it is first imported, and that must happen after
PROMETHEUS_MULTIPROC_DIR is set.
"""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from flaskops_flask.logs import APP_HANDLER

ENV = "PROMETHEUS_MULTIPROC_DIR"


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def prepare_multiproc_dir() -> str:
    """Point PROMETHEUS_MULTIPROC_DIR at an empty directory (a fresh temp dir when unset).

    Files left by an earlier run would be summed into this run's counters, so the
    directory is emptied. It belongs on tmpfs (in a pod: an emptyDir with medium Memory):
    every metric update writes an mmap'd page, and on a disk filesystem the kernel's
    writeback of those pages cost ~100 us per request in docs/benchmarks.md.
    """
    tmpfs = "/dev/shm" if os.path.isdir("/dev/shm") else None
    path = os.environ.get(ENV) or tempfile.mkdtemp(prefix="prometheus-multiproc-", dir=tmpfs)
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[ENV] = str(directory)
    _load_multiprocess()
    return str(directory)


# prometheus_client.multiprocess, imported in the master as soon as the directory is set
# (never earlier: see the module docstring) and never inside a hook: gunicorn runs
# `child_exit` from its SIGCHLD handler (gunicorn 23), and an import there can run while
# the interrupted code holds the import lock, which crashed the master on shutdown.
_multiprocess: Any = None


def _load_multiprocess() -> None:
    global _multiprocess
    if _multiprocess is None:
        from prometheus_client import multiprocess

        _multiprocess = multiprocess


if os.environ.get(ENV):  # set by the environment already: safe to import now
    _load_multiprocess()


def mark_process_dead(pid: int) -> None:
    if _multiprocess is not None and os.environ.get(ENV):
        _multiprocess.mark_process_dead(pid)


def child_exit(server: Any, worker: Any) -> None:
    """Gunicorn `child_exit` hook: drop a dead worker's live gauges (counters stay summed).
    Runs in the master's signal handler: it imports nothing and never raises."""
    # A hook that raises in a signal handler takes the master down.
    with contextlib.suppress(Exception):
        mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Gunicorn `post_worker_init` hook: move everything the app loaded (modules, the app,
    the telemetry SDKs) out of the garbage collector's reach.

    Why: CPython's full (generation 2) collection walks every tracked object. A worker
    with Flask, OpenTelemetry, protobuf and prometheus-client loaded has a few hundred
    thousand of them, so each full collection stopped all its threads for 30-50 ms on the
    benchmark machine, which is most of the p99 of a service under steady load
    (docs/benchmarks.md). Those objects live as long as the worker; `gc.freeze()` parks
    them in the permanent generation, and later collections only walk what requests
    create. GUNICORN_GC_FREEZE=0 turns it off.
    """
    if os.environ.get("GUNICORN_GC_FREEZE", "1") != "0":
        gc.collect()  # what loading left as garbage must not be frozen for the worker's life
        gc.freeze()


class AccessJsonFormatter(JsonFormatter):
    """Turns gunicorn's access record (its args are the atoms dict) into JSON fields."""

    FIELDS = {  # noqa: RUF012 - a class constant, read only
        "remote_addr": "h",
        "method": "m",
        "path": "U",
        "query": "q",
        "protocol": "H",
        "status": "s",
        "response_bytes": "B",
        "duration_ms": "M",
        "user_agent": "a",
        "referer": "f",
    }

    def add_fields(
        self, log_data: dict[str, Any], record: Any, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        for field, atom in self.FIELDS.items():
            if atom in atoms:
                log_data[field] = atoms[atom]
        if "s" in atoms:
            log_data["status"] = int(atoms["s"])
        log_data.pop("message", None)
        log_data["type"] = "access"


def json_logconfig(service: str, level: str = "INFO", access: bool = True) -> dict[str, Any]:
    """A gunicorn `logconfig_dict`: error log and (unless `access` is False) access log as
    JSON lines on stdout."""
    rename = {"asctime": "time", "levelname": "level", "name": "logger"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": JsonFormatter,
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": rename,
                "static_fields": {"service": service},
            },
            "access": {
                "()": AccessJsonFormatter,
                "fmt": "%(asctime)s %(name)s",
                "rename_fields": rename,
                "static_fields": {"service": service},
            },
        },
        "handlers": {
            # The app's own log lines, when instrument() does not take them over (JSON
            # logs off, or an app that is not instrumented): JSON too, without trace ids.
            APP_HANDLER: {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        # The root logger belongs to the app. instrument() replaces this handler with one
        # that adds trace ids; without it, an app's lines would be dropped whenever JSON
        # logs are switched off, and gunicorn's default root config would apply.
        "root": {"level": level, "handlers": [APP_HANDLER]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["error"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if access else "CRITICAL",
                "handlers": ["access"],
                "propagate": False,
            },
        },
    }
