"""Fault knobs for demos and tests: an error rate and an added latency, set by environment.

    FAULT_ERROR_RATE=0.5    half of the requests answer 500 (0..1)
    FAULT_LATENCY_MS=300    every request waits 300 ms first

They turn any build into a "bad version" without a code change, which is what a canary
analysis must catch. Errors are spread evenly rather than drawn at random: with rate r,
every worker fails exactly floor(n*r) or ceil(n*r) of its first n requests, so a test
can assert an exact success rate instead of a statistical band.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify


class Faults:
    def __init__(self, error_rate: float = 0.0, latency_ms: float = 0.0) -> None:
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"FAULT_ERROR_RATE must be within 0..1, got {error_rate}")
        if latency_ms < 0:
            raise ValueError(f"FAULT_LATENCY_MS must be >= 0, got {latency_ms}")
        self.error_rate = error_rate
        self.latency_ms = latency_ms
        self._debt = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Faults:
        env = os.environ if env is None else env
        return cls(float(env.get("FAULT_ERROR_RATE") or 0), float(env.get("FAULT_LATENCY_MS") or 0))

    @property
    def active(self) -> bool:
        return self.error_rate > 0 or self.latency_ms > 0

    def should_fail(self) -> bool:
        """Error-diffusion: accumulate the rate, fail whenever a whole error is owed."""
        if self.error_rate <= 0:
            return False
        with self._lock:
            self._debt += self.error_rate
            if self._debt >= 1.0 - 1e-9:
                self._debt -= 1.0
                return True
            return False

    def before_request(self) -> Any:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if self.should_fail():
            return jsonify(error="injected fault", error_rate=self.error_rate), 500
        return None

    def init_app(self, app: Flask, blueprint: str | None = None) -> None:
        """Apply to the whole app or to one blueprint's routes (keeping probes and /metrics
        honest). Registered on the app, so a module-level blueprint stays reusable."""
        if self.active:
            app.before_request_funcs.setdefault(blueprint, []).append(self.before_request)
