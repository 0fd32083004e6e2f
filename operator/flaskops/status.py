"""FlaskService status from a rollout decision: kstatus conditions plus the rollout view.

kstatus (what Flux, Argo CD and `kubectl wait --for=condition=Ready` read):
- Reconciling True while the object moves towards its spec: a canary in progress, a
  promotion, a paused rollout with something in flight, or stable pods not yet ready.
- Stalled True when only a human can unblock it: an error such as a helm render failure,
  or a rolled-back revision (phase Failed) that stays desired.
- Ready True only when neither holds: nothing in flight and the stable track ready.
Each condition carries observedGeneration; lastTransitionTime moves only when its status
flips, so a steady object does not churn its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flaskops.observe import TrackStatus, effective_weight
from flaskops.rollout import Decision, Phase, RolloutState

CONDITION_TYPES = ("Ready", "Reconciling", "Stalled")


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_flight(s: RolloutState) -> bool:
    """A revision other than the stable one is still on its way (or held by a pause)."""
    if s.canary is not None or s.preview is not None:
        return True
    return s.desired is not None and s.desired not in (s.stable, s.failed_revision)


def _verdicts(
    s: RolloutState, stable: TrackStatus, error: tuple[str, str] | None
) -> dict[str, tuple[bool, str, str]]:
    """type -> (status, reason, message)."""
    if error is not None:
        reason, message = error
        return {
            "Ready": (False, reason, message),
            "Reconciling": (False, reason, "stalled: " + message),
            "Stalled": (True, reason, message),
        }
    if s.phase is Phase.FAILED:
        return {
            "Ready": (False, "RolloutFailed", s.message),
            "Reconciling": (False, "RolloutFailed", s.message),
            "Stalled": (True, "RolloutFailed", s.message),
        }
    not_stalled = (False, "NotStalled", "")
    if in_flight(s):
        reason = str(s.phase)  # Progressing, Promoting or Paused
        return {
            "Ready": (False, reason, s.message),
            "Reconciling": (True, reason, s.message),
            "Stalled": not_stalled,
        }
    if not stable.ready:
        msg = f"stable track: {stable.ready_replicas}/{stable.replicas} pods ready"
        return {
            "Ready": (False, "WaitingForStable", msg),
            "Reconciling": (True, "WaitingForStable", msg),
            "Stalled": not_stalled,
        }
    revision = s.stable.id if s.stable else "?"
    return {
        "Ready": (True, "Ready", f"revision {revision} serves all traffic"),
        "Reconciling": (False, "Reconciled", ""),
        "Stalled": not_stalled,
    }


def conditions(
    verdicts: Mapping[str, tuple[bool, str, str]],
    previous: list[Mapping[str, Any]],
    generation: int,
    now: float,
) -> list[dict[str, Any]]:
    before = {c.get("type"): c for c in previous}
    out = []
    for type_ in CONDITION_TYPES:
        ok, reason, message = verdicts[type_]
        status = "True" if ok else "False"
        old = before.get(type_) or {}
        changed = old.get("status") != status or "lastTransitionTime" not in old
        out.append(
            {
                "type": type_,
                "status": status,
                "reason": reason,
                "message": message,
                "observedGeneration": generation,
                "lastTransitionTime": _timestamp(now) if changed else old["lastTransitionTime"],
            }
        )
    return out


def build_status(
    *,
    generation: int,
    previous: Mapping[str, Any] | None,
    decision: Decision,
    stable: TrackStatus,
    canary: TrackStatus,
    traffic: str = "replicas",
    error: tuple[str, str] | None = None,
    now: float,
) -> dict[str, Any]:
    """The whole `status` of a FlaskService (rollout state included, for the next reconcile).

    `error` is (reason, message) of a problem that needs a human, e.g. ("RenderFailed",
    helm's message); `stable` / `canary` are the tracks as observed.
    """
    s = decision.state
    previous = previous or {}
    verdicts = _verdicts(s, stable, error)
    message = error[1] if error else s.message
    return {
        "observedGeneration": generation,
        "phase": str(s.phase),
        "message": message,
        "stableRevision": s.stable.to_dict() if s.stable else None,
        "canaryRevision": s.canary.to_dict() if s.canary else None,
        "previewRevision": s.preview.to_dict() if s.preview else None,
        "activeTrack": "preview" if decision.render.preview_active else "stable",
        "step": s.step,
        "weight": s.weight,
        "effectiveWeight": effective_weight(traffic, decision.render.weight, stable, canary),
        "failedChecks": s.failed_checks,
        "inconclusiveChecks": s.inconclusive_checks,
        "analysis": s.last_analysis.to_dict() if s.last_analysis else None,
        "conditions": conditions(verdicts, previous.get("conditions") or [], generation, now),
        "rollout": s.to_dict(),
    }
