"""SIGTERM under load, 20 times in a row, on the lowest and the newest gunicorn the helper's
range allows: the master never crashes (gunicorn 23 runs `child_exit` inside its SIGCHLD
handler, where the kit once imported prometheus_client) and no worker's metric file is
lost: the files left behind count exactly the requests the clients got answers to."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from packaging.version import Version
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.services import RunningService
from tests.support.userapp import start_userapp
from tests.support.venvs import installed, telemetry_venv

ROUNDS = 20
COUNT = "flask_http_request_duration_seconds_count"


class Load:
    """Four clients requesting /work/<n> until stopped; counts answers and failures."""

    def __init__(self, app: RunningService) -> None:
        self.url = app.url
        self.answered = 0
        self.failed = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(4)]
        for t in self._threads:
            t.start()

    def _run(self, i: int) -> None:
        while not self._stop.is_set():
            try:
                ok = requests.get(f"{self.url}/work/{i}", timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            with self._lock:
                if ok:
                    self.answered += 1
                else:
                    self.failed += 1

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def recorded(multiproc_dir: Path) -> int:
    """Requests counted in the metric files the workers left behind."""
    total = 0.0
    for family in MultiProcessCollector(None, path=str(multiproc_dir)).collect():  # type: ignore[no-untyped-call]
        total += sum(s.value for s in family.samples if s.name == COUNT)
    return int(total)


@pytest.mark.parametrize(
    ("resolution", "gunicorn"),
    [
        pytest.param("lowest", "23.0.0", marks=pytest.mark.xdist_group("telemetry-lowest")),
        pytest.param("highest", None, marks=pytest.mark.xdist_group("telemetry-highest")),
    ],
)
def test_twenty_sigterm_shutdowns_under_load(resolution: str, gunicorn: str | None) -> None:
    python = telemetry_venv(resolution)
    have = installed(python)["gunicorn"]
    if gunicorn is not None:
        assert have == gunicorn
    else:  # the newest: at least what the lock runs
        assert Version(have) >= Version("27.0.1"), have
    crashes, lost = [], []
    for round_ in range(ROUNDS):
        # Tracing off: the hooks and metric files are what is under test, and each of
        # the 40 boots is cheaper without the OpenTelemetry SDK.
        app = start_userapp(
            python, None, {"GUNICORN_GRACEFUL_TIMEOUT": "5", "FLASKOPS_TRACING": "0"}
        )
        load = Load(app)
        deadline = time.monotonic() + 10
        while load.answered < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        code = app.stop()  # SIGTERM while the clients keep going
        load.stop()
        logs = app.logs()
        if code != 0 or "Traceback" in logs:
            crashes.append((round_, code, logs[-2000:]))
        counted = recorded(app.multiproc_dir)
        # Every answered request is in a file; a request cut off by the shutdown may be
        # counted without its client hearing back, never the other way round.
        if not load.answered <= counted <= load.answered + load.failed:
            lost.append((round_, load.answered, load.failed, counted))
    assert crashes == [], crashes[0]
    assert lost == [], lost


_NO_IMPORTS_IN_CHILD_EXIT = """
import builtins, os, sys
from flaskops_flask.gunicorn_conf import child_exit  # what gunicorn loads in the master

class Worker:
    pid = 4242

live = os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "gauge_livesum_4242.db")
open(live, "w").close()

def no_imports(*args, **kwargs):
    raise ImportError("import inside a signal handler")

builtins.__import__ = no_imports  # as if SIGCHLD had interrupted an import
child_exit(None, Worker())
builtins.__import__ = __import__
sys.exit(0 if not os.path.exists(live) else 1)
"""


@pytest.mark.parametrize(
    "resolution",
    [
        pytest.param("lowest", marks=pytest.mark.xdist_group("telemetry-lowest")),
        pytest.param("highest", marks=pytest.mark.xdist_group("telemetry-highest")),
    ],
)
def test_child_exit_imports_nothing(resolution: str, tmp_path: Path) -> None:
    """gunicorn runs child_exit in the master's SIGCHLD handler: it must do its work (drop
    the dead worker's live gauge file) without importing anything."""
    proc = subprocess.run(
        [str(telemetry_venv(resolution)), "-c", _NO_IMPORTS_IN_CHILD_EXIT],
        env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
