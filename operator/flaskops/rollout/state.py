"""The persisted rollout state (FlaskService status.rollout) and a decision's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flaskops.rollout.types import Analysis, Event, Phase, RenderPlan, Revision


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class RolloutState:
    """Everything decide() needs to resume after an operator restart.

    step_started_at: when the current weight (or the promotion) took effect.
    next_analysis_at: when the next analysis is due (the interval clock).
    failed_revision: the last rolled-back revision, kept until the desired revision changes.
    desired: the revision last asked for (may differ from stable and canary while paused).
    preview / switched_at / preview_replicas (blueGreen): the preview track's revision, when
    the active Service switched to it (None: the active Service still selects stable), and
    the size it was given (the stable track's when it started). For blueGreen `step` counts
    the preview's passing analyses.
    """

    phase: Phase = Phase.READY
    stable: Revision | None = None
    canary: Revision | None = None
    desired: Revision | None = None
    step: int = 0
    weight: int = 0
    failed_checks: int = 0
    inconclusive_checks: int = 0
    step_started_at: float | None = None
    next_analysis_at: float | None = None
    failed_revision: Revision | None = None
    promoted_manually: bool = False
    paused: bool = False
    awaiting_promotion: bool = False
    message: str = ""
    last_analysis: Analysis | None = None
    preview: Revision | None = None
    switched_at: float | None = None
    preview_replicas: int = 0

    @property
    def promoting(self) -> bool:
        # During a promotion both tracks run the new revision until the stable one is ready.
        return self.canary is not None and self.canary == self.stable

    @property
    def committed(self) -> bool:
        """blueGreen: the stable track is being moved to the preview's revision; no way back."""
        return self.preview is not None and self.preview == self.stable

    @property
    def switched(self) -> bool:
        """blueGreen: the active Service selects the preview track."""
        return self.preview is not None and self.switched_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": str(self.phase),
            "stable": self.stable.to_dict() if self.stable else None,
            "canary": self.canary.to_dict() if self.canary else None,
            "desired": self.desired.to_dict() if self.desired else None,
            "step": self.step,
            "weight": self.weight,
            "failedChecks": self.failed_checks,
            "inconclusiveChecks": self.inconclusive_checks,
            "stepStartedAt": self.step_started_at,
            "nextAnalysisAt": self.next_analysis_at,
            "failedRevision": self.failed_revision.to_dict() if self.failed_revision else None,
            "promotedManually": self.promoted_manually,
            "paused": self.paused,
            "awaitingPromotion": self.awaiting_promotion,
            "message": self.message,
            "lastAnalysis": self.last_analysis.to_dict() if self.last_analysis else None,
            "preview": self.preview.to_dict() if self.preview else None,
            "switchedAt": self.switched_at,
            "previewReplicas": self.preview_replicas,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RolloutState:
        """Inverse of to_dict(); an empty or missing status is a service never deployed."""
        data = data or {}
        return cls(
            phase=Phase(data.get("phase", Phase.READY)),
            stable=Revision.from_dict(data.get("stable")),
            canary=Revision.from_dict(data.get("canary")),
            desired=Revision.from_dict(data.get("desired")),
            step=int(data.get("step", 0)),
            weight=int(data.get("weight", 0)),
            failed_checks=int(data.get("failedChecks", 0)),
            inconclusive_checks=int(data.get("inconclusiveChecks", 0)),
            step_started_at=_opt_float(data.get("stepStartedAt")),
            next_analysis_at=_opt_float(data.get("nextAnalysisAt")),
            failed_revision=Revision.from_dict(data.get("failedRevision")),
            promoted_manually=bool(data.get("promotedManually", False)),
            paused=bool(data.get("paused", False)),
            awaiting_promotion=bool(data.get("awaitingPromotion", False)),
            message=str(data.get("message", "")),
            last_analysis=Analysis.from_dict(data.get("lastAnalysis")),
            preview=Revision.from_dict(data.get("preview")),
            switched_at=_opt_float(data.get("switchedAt")),
            preview_replicas=int(data.get("previewReplicas", 0)),
        )


@dataclass(frozen=True)
class Decision:
    state: RolloutState
    render: RenderPlan
    events: tuple[Event, ...] = field(default=())
    requeue_after: float | None = None
