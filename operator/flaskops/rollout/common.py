"""What both strategies share (pure): event recording, and consuming one due analysis.

A canary and a blue/green preview are judged alike: a severe breach rolls back at once,
failed and inconclusive analyses are counted (cumulatively per revision) up to their
limits, and a pass is a pass only if the pods it measured were ready.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flaskops.rollout.state import RolloutState
from flaskops.rollout.types import (
    Analysis,
    CheckResult,
    Event,
    EventType,
    Outcome,
    Policy,
    Revision,
)


class StepBase:
    """The transitions of one decide() call; collects the events they emit."""

    def __init__(self, policy: Policy, desired: Revision, now: float) -> None:
        self.policy = policy
        self.desired = desired
        self.now = now
        self.events: list[Event] = []

    def emit(self, type_: EventType, reason: str, message: str) -> None:
        self.events.append(Event(type=type_, reason=reason, message=message))

    def first_deploy(self, s: RolloutState) -> RolloutState:
        msg = f"first revision {self.desired.id} deployed without a canary"
        self.emit(EventType.NORMAL, "Deployed", msg)
        return replace(s, stable=self.desired, canary=None, message=msg)

    def hold_paused(self, s: RolloutState, what: str) -> RolloutState:
        msg = f"paused by spec.rollout.paused; {what}"
        if not s.paused:
            self.emit(EventType.NORMAL, "Paused", msg)
        return replace(s, paused=True, message=msg)


@dataclass(frozen=True)
class Judgement:
    """state: counters and last_analysis updated, the interval clock moved on.
    rollback: why to roll back (None: no rollback). hold: the Warning to emit while holding.
    """

    state: RolloutState
    passed: bool = False
    rollback: str | None = None
    hold: Event | None = None


def consumable(s: RolloutState, analysis: Analysis | None) -> bool:
    """An analysis counts once, and only if taken at or after it was due."""
    return (
        analysis is not None
        and s.next_analysis_at is not None
        and analysis.at >= s.next_analysis_at
    )


def check_summary(c: CheckResult) -> str:
    value = "no data" if c.value is None else f"{c.value:g}"
    return f"{c.name}={value} {c.outcome}" + (f" [{c.detail}]" if c.detail else "")


def judge(
    policy: Policy,
    s: RolloutState,
    analysis: Analysis,
    now: float,
    *,
    ready: bool,
    track: str,
    where: str,
) -> Judgement:
    """`ready`: the analysed track's pods were ready; `where` ends the hold messages."""
    if not ready:
        # Traffic to pods that are not ready proves nothing: never let it pass.
        not_ready = CheckResult(
            name=f"{track}Ready",
            query="",
            value=None,
            threshold=f"{track} pods ready",
            outcome=Outcome.INCONCLUSIVE,
            detail=f"{track} pods not ready",
        )
        analysis = replace(analysis, checks=(*analysis.checks, not_ready))
    s = replace(
        s,
        last_analysis=analysis,
        next_analysis_at=max(now, analysis.at) + policy.interval_s,
    )
    bad = ", ".join(check_summary(c) for c in analysis.checks if c.outcome is not Outcome.PASS)
    if analysis.severe:
        return Judgement(s, rollback=f"severe breach ({bad})")
    verdict = analysis.verdict
    if verdict is Outcome.FAIL:
        n = s.failed_checks + 1
        s = replace(s, failed_checks=n)
        if n >= policy.failure_threshold:
            return Judgement(s, rollback=f"{n} failed analyses ({bad})")
        msg = f"analysis failed {n}/{policy.failure_threshold} {where}, holding ({bad})"
        s = replace(s, message=msg)
        return Judgement(s, hold=Event(EventType.WARNING, "AnalysisFailed", msg))
    if verdict is Outcome.INCONCLUSIVE:
        n = s.inconclusive_checks + 1
        s = replace(s, inconclusive_checks=n)
        if n >= policy.inconclusive_limit:
            return Judgement(s, rollback=f"{n} inconclusive analyses ({bad or 'no checks'})")
        msg = (
            f"analysis inconclusive {n}/{policy.inconclusive_limit} {where}, "
            f"holding ({bad or 'no checks'})"
        )
        s = replace(s, message=msg)
        return Judgement(s, hold=Event(EventType.WARNING, "AnalysisInconclusive", msg))
    return Judgement(s, passed=True)
