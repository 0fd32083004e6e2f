"""`/healthz` (the process serves requests) and `/readyz` (its dependencies are usable).

Liveness must not depend on other services, or one failing dependency restarts every
pod that uses it; readiness may, so the pod leaves the Service endpoints instead. Apps
register readiness checks: callables that return True/None when ready, or False / raise
when not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

Check = Callable[[], object]
log = logging.getLogger("flaskops.health")


class Health:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._lock = threading.Lock()

    def register(self, name: str, check: Check) -> None:
        """Add or replace a readiness check."""
        with self._lock:
            self._checks[name] = check

    def unregister(self, name: str) -> None:
        with self._lock:
            self._checks.pop(name, None)

    def run_checks(self) -> dict[str, str]:
        with self._lock:
            checks = dict(self._checks)
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                ok = check()
            except Exception as exc:  # a check that raises reports unready, never a 500
                log.warning("readiness check %s failed: %s", name, exc)
                results[name] = f"error: {exc}"
                continue
            results[name] = "ok" if ok is None or ok is True else "failed"
        return results

    def init_app(self, app: Flask) -> None:
        def healthz() -> tuple[dict[str, Any], int]:
            return {"status": "ok"}, 200

        def readyz() -> tuple[dict[str, Any], int]:
            results = self.run_checks()
            ready = all(v == "ok" for v in results.values())
            return {"status": "ok" if ready else "unready", "checks": results}, (
                200 if ready else 503
            )

        app.add_url_rule("/healthz", "flaskops_healthz", healthz)
        app.add_url_rule("/readyz", "flaskops_readyz", readyz)
