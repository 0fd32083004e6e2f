"""Value types of the rollout state machine: inputs, outputs and their JSON forms.

Everything here is immutable and free of I/O, so decisions can be replayed and compared.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    PROMOTING = "Promoting"
    # Never returned by decide(): a rollback removes the canary from the render plan in the
    # same decision that detects the failure, so there is no in-between state to show.
    ROLLING_BACK = "RollingBack"
    FAILED = "Failed"


class Strategy(StrEnum):
    CANARY = "canary"
    ROLLING = "rolling"
    BLUE_GREEN = "blueGreen"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | float | int) -> float:
    """'30s', '1m30s', '500ms', '2h' or a bare number of seconds -> seconds."""
    if isinstance(text, int | float):
        return float(text)
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"invalid duration {text!r}: use e.g. 30s, 1m, 1m30s, 500ms")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


@dataclass(frozen=True)
class Revision:
    """What a track runs: the image plus a hash of everything else that shapes the pods."""

    image: str
    config_hash: str

    @property
    def id(self) -> str:
        digest = hashlib.sha256(f"{self.image}\n{self.config_hash}".encode()).hexdigest()
        return digest[:10]

    def to_dict(self) -> dict[str, str]:
        return {"image": self.image, "configHash": self.config_hash, "id": self.id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Revision | None:
        if not data:
            return None
        return cls(image=str(data["image"]), config_hash=str(data["configHash"]))


@dataclass(frozen=True)
class Policy:
    """spec.rollout, parsed. Validation mirrors the CRD's CEL rules so bad input fails early."""

    strategy: Strategy = Strategy.CANARY
    steps: tuple[int, ...] = (10, 25, 50)
    interval_s: float = 30.0
    failure_threshold: int = 2
    inconclusive_limit: int = 3
    manual_gate: bool = False
    paused: bool = False
    # The analysis' rate() window: a new canary's first analysis waits at least this long,
    # so the window holds none of the samples of the canary before it (same track label).
    window_s: float = 60.0
    # blueGreen: passing analyses of the preview before the switch, and how long the old
    # track stays up after it (an abort in that time switches straight back).
    analyses: int = 3
    scale_down_delay_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("rollout.canary.steps: at least one step is required")
        if any(not 1 <= s <= 100 for s in self.steps):
            raise ValueError("rollout.canary.steps: each weight must be within 1-100")
        if any(a >= b for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError("rollout.canary.steps: weights must be strictly ascending")
        if self.interval_s <= 0:
            raise ValueError("rollout.canary.interval: must be positive")
        if self.failure_threshold < 1:
            raise ValueError("rollout.analysis.failureThreshold: must be at least 1")
        if self.inconclusive_limit < 1:
            raise ValueError("rollout.analysis.inconclusiveLimit: must be at least 1")
        if self.analyses < 1:
            raise ValueError("rollout.blueGreen.analyses: must be at least 1")
        if self.scale_down_delay_s < 0:
            raise ValueError("rollout.blueGreen.scaleDownDelay: must not be negative")

    @classmethod
    def from_spec(cls, rollout: Mapping[str, Any] | None) -> Policy:
        """Read FlaskService spec.rollout (missing keys take the defaults above)."""
        rollout = rollout or {}
        canary = rollout.get("canary") or {}
        blue_green = rollout.get("blueGreen") or {}
        analysis = rollout.get("analysis") or {}
        defaults = cls()
        strategy = Strategy(rollout.get("strategy", defaults.strategy))
        # interval and manualGate mean the same for both strategies; each reads its own section.
        own = blue_green if strategy is Strategy.BLUE_GREEN else canary
        return cls(
            strategy=strategy,
            steps=tuple(int(s) for s in canary.get("steps", defaults.steps)),
            interval_s=parse_duration(own.get("interval", defaults.interval_s)),
            failure_threshold=int(analysis.get("failureThreshold", defaults.failure_threshold)),
            inconclusive_limit=int(analysis.get("inconclusiveLimit", defaults.inconclusive_limit)),
            manual_gate=bool(own.get("manualGate", defaults.manual_gate)),
            paused=bool(rollout.get("paused", defaults.paused)),
            window_s=parse_duration(analysis.get("window", defaults.window_s)),
            analyses=int(blue_green.get("analyses", defaults.analyses)),
            scale_down_delay_s=parse_duration(
                blue_green.get("scaleDownDelay", defaults.scale_down_delay_s)
            ),
        )


def _value_to_json(value: float | None) -> float | str | None:
    # Kubernetes status is strict JSON: no NaN/Infinity literals.
    if value is None:
        return None
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def _value_from_json(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)  # float() reads "+Inf" / "-Inf" too


@dataclass(frozen=True)
class CheckResult:
    name: str
    query: str
    value: float | None
    threshold: str
    outcome: Outcome
    severe: bool = False
    detail: str = ""  # why a check is inconclusive (e.g. "prometheus unreachable"), for humans

    def __post_init__(self) -> None:
        if self.value is not None and math.isnan(self.value):
            object.__setattr__(self, "value", None)  # NaN is "no value"; it also breaks ==

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query,
            "value": _value_to_json(self.value),
            "threshold": self.threshold,
            "outcome": str(self.outcome),
            "severe": self.severe,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            name=str(data["name"]),
            query=str(data.get("query", "")),
            value=_value_from_json(data.get("value")),
            threshold=str(data.get("threshold", "")),
            outcome=Outcome(data["outcome"]),
            severe=bool(data.get("severe", False)),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True)
class Analysis:
    checks: tuple[CheckResult, ...]
    at: float  # epoch seconds when the queries ran

    @property
    def verdict(self) -> Outcome:
        outcomes = {c.outcome for c in self.checks}
        if Outcome.FAIL in outcomes:
            return Outcome.FAIL
        if not self.checks or Outcome.INCONCLUSIVE in outcomes:
            return Outcome.INCONCLUSIVE
        return Outcome.PASS

    @property
    def severe(self) -> bool:
        return any(c.severe and c.outcome is Outcome.FAIL for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "verdict": str(self.verdict),
            "severe": self.severe,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Analysis | None:
        if not data:
            return None
        checks: Sequence[Mapping[str, Any]] = data.get("checks") or ()
        return cls(checks=tuple(CheckResult.from_dict(c) for c in checks), at=float(data["at"]))


@dataclass(frozen=True)
class Commands:
    """One-shot human commands, each naming the revision id it is meant for."""

    promote: str | None = None
    abort: str | None = None


@dataclass(frozen=True)
class Observed:
    """What the operator saw of the children rendered by the previous decision.

    stable_ready must describe the stable workload as last rendered (the Deployment's
    observedGeneration caught up and its updated replicas available). stable_revision, when
    known (the revision id carried on the stable pod template), guards against reading an
    older rollout of the stable Deployment.
    """

    stable_ready: bool = False
    canary_ready: bool = False
    stable_revision: str | None = None
    preview_ready: bool = False
    stable_replicas: int = 0  # the stable Deployment's replicas (the HPA's choice, if any)


@dataclass(frozen=True)
class RenderPlan:
    stable: Revision
    canary: Revision | None
    weight: int
    # blueGreen: the preview track, whether the active Service selects it, and its size.
    preview: Revision | None = None
    preview_active: bool = False
    preview_replicas: int = 0


@dataclass(frozen=True)
class Event:
    type: EventType
    reason: str
    message: str
