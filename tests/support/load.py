"""A steady vegeta load against one URL, running in the background until stopped.

Open loop: vegeta sends `rate` requests per second whatever the answers' latency, so a
switch that stalls or drops requests shows up as errors or timeouts, not as fewer requests.
The timeout is vegeta's default, 30 s: a Service stand-in holds requests while a gunicorn
stand-in boots for pods KWOK already reports ready, which takes seconds on a busy machine.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import require


@dataclass
class Report:
    requests: int
    success: float  # fraction of responses with a 2xx status
    status_codes: dict[str, int]
    errors: list[str]

    @property
    def failed(self) -> int:
        return self.requests - self.status_codes.get("200", 0)


class SteadyLoad:
    def __init__(self, url: str, workdir: Path, rate: int = 40, timeout_s: int = 30) -> None:
        self.vegeta = require("vegeta")
        self.results = workdir / "vegeta.bin"
        self.proc = subprocess.Popen(
            [
                self.vegeta,
                "attack",
                f"-rate={rate}/s",
                "-duration=0",  # until interrupted
                f"-timeout={timeout_s}s",
                "-keepalive=false",  # every request picks its track anew, as a new client does
                f"-output={self.results}",
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"GET {url}\n")
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() must not flush it again

    def stop(self) -> Report:
        """Interrupt the attack (vegeta flushes its results) and report on all of it."""
        self.proc.send_signal(signal.SIGINT)
        _, stderr = self.proc.communicate(timeout=30)
        report = subprocess.run(
            [self.vegeta, "report", "-type=json", str(self.results)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert report.returncode == 0, f"vegeta report failed: {report.stderr} {stderr}"
        data: dict[str, Any] = json.loads(report.stdout)
        return Report(
            requests=int(data["requests"]),
            success=float(data["success"]),
            status_codes={str(k): int(v) for k, v in (data.get("status_codes") or {}).items()},
            errors=list(data.get("errors") or []),
        )
