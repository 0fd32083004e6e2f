"""decide(): one level-based step of the canary state machine (docs/rollouts.md has the table).

Each call runs the same stages in order, and each stage consumes its input so that calling
again with the same inputs changes nothing:
  0. first revision of a service: deploy it as stable, no canary (ignores pause);
  1. forget failed_revision once the desired revision differs from it;
  2. unless paused: resume (restart the interval clock) and follow the desired revision
     (rolling: straight to stable; canary: start / restart / cancel);
  3. human commands (abort wins over promote), honoured even while paused;
  4. paused: hold everything else;
  5. consume a due analysis (advance, hold, roll back, gate or promote);
  6. finish a promotion once the stable track is ready on the new revision.
"""

from __future__ import annotations

from dataclasses import replace

from flaskops.rollout import bluegreen
from flaskops.rollout.common import StepBase, consumable, judge
from flaskops.rollout.state import Decision, RolloutState
from flaskops.rollout.types import (
    Analysis,
    Commands,
    EventType,
    Observed,
    Phase,
    Policy,
    RenderPlan,
    Revision,
    Strategy,
)

PROMOTING_POLL_S = 2.0  # how often to look at the stable track while promoting
MIN_REQUEUE_S = 1.0


def analysis_due(policy: Policy, state: RolloutState, now: float) -> bool:
    """True when decide() would consume an analysis taken now."""
    if policy.strategy is Strategy.BLUE_GREEN:
        return bluegreen.analysis_due(policy, state, now)
    return (
        policy.strategy is Strategy.CANARY
        and not policy.paused
        and not state.paused
        and state.canary is not None
        and not state.promoting
        and state.next_analysis_at is not None
        and now >= state.next_analysis_at
    )


def decide(
    policy: Policy,
    state: RolloutState,
    desired: Revision,
    now: float,
    analysis: Analysis | None,
    commands: Commands,
    observed: Observed,
) -> Decision:
    if policy.strategy is Strategy.BLUE_GREEN:
        return bluegreen.decide(policy, state, desired, now, analysis, commands, observed)
    step = _Step(policy, desired, now)
    s = state
    if s.stable is None:
        s = step.first_deploy(s)
    s = step.leave_blue_green(s)
    s = step.normalize(s)
    if s.failed_revision is not None and s.failed_revision != desired:
        s = replace(s, failed_revision=None)
    if not policy.paused:
        s = step.resume(s)
        s = step.follow_desired(s)
    s = step.commands(s, commands)
    if policy.paused:
        s = step.hold(s)
    else:
        s = step.analyse(s, analysis, observed)
        s = step.finish_promotion(s, observed)
    s = replace(s, desired=desired, phase=_phase(s, desired))
    assert s.stable is not None
    return Decision(
        state=s,
        render=RenderPlan(stable=s.stable, canary=s.canary, weight=s.weight),
        events=tuple(step.events),
        requeue_after=_requeue_after(policy, s, now),
    )


def _phase(s: RolloutState, desired: Revision) -> Phase:
    if s.paused or s.awaiting_promotion:
        return Phase.PAUSED
    if s.promoting:
        return Phase.PROMOTING
    if s.canary is not None:
        return Phase.PROGRESSING
    if s.failed_revision is not None and s.failed_revision == desired:
        return Phase.FAILED
    return Phase.READY


def _requeue_after(policy: Policy, s: RolloutState, now: float) -> float | None:
    if policy.paused:
        return None  # the resume is a spec change, which wakes the operator anyway
    if s.promoting:
        return PROMOTING_POLL_S
    if s.canary is not None and s.next_analysis_at is not None:
        return max(MIN_REQUEUE_S, s.next_analysis_at - now)
    return None


def _percent(s: RolloutState) -> str:
    return f"{s.weight}%"


class _Step(StepBase):
    """The canary transitions of one decide() call."""

    # -- stage 0 and bookkeeping ------------------------------------------------------
    def leave_blue_green(self, s: RolloutState) -> RolloutState:
        """The strategy changed away from blueGreen: its preview goes, stable stays."""
        if s.preview is None:
            return s
        msg = f"preview {s.preview.id} removed: strategy is now {self.policy.strategy}"
        self.emit(EventType.NORMAL, "PreviewCancelled", msg)
        return replace(s, preview=None, switched_at=None, preview_replicas=0, message=msg)

    def normalize(self, s: RolloutState) -> RolloutState:
        """Re-read the policy: steps or the gate may have been edited mid-rollout."""
        if s.canary is None:
            return replace(s, step=0, weight=0, awaiting_promotion=False)
        step = min(s.step, len(self.policy.steps) - 1)
        # A removed gate sends the canary back to analysis at the last step: promoting at
        # once could promote on an analysis that failed while it waited.
        awaiting = s.awaiting_promotion and self.policy.manual_gate
        return replace(s, step=step, weight=self.policy.steps[step], awaiting_promotion=awaiting)

    # -- stage 2 ----------------------------------------------------------------------
    def resume(self, s: RolloutState) -> RolloutState:
        if not s.paused:
            return s
        s = replace(s, paused=False, message=f"resumed; {_describe(s, self.desired)}")
        if s.canary is not None and not s.promoting:
            s = replace(s, next_analysis_at=self.now + self.policy.interval_s)
        self.emit(EventType.NORMAL, "Resumed", s.message)
        return s

    def follow_desired(self, s: RolloutState) -> RolloutState:
        d = self.desired
        if self.policy.strategy is Strategy.ROLLING:
            if d == s.stable and s.canary is None:
                return s
            msg = f"revision {d.id} deployed (rolling strategy)"
            if d == s.stable:
                self.emit(EventType.NORMAL, "CanaryCancelled", msg)
            else:
                self.emit(EventType.NORMAL, "Deployed", msg)
            return self._no_canary(replace(s, stable=d, failed_revision=None, message=msg))
        if s.promoting:
            # The promotion is committed (stable already runs it); a newer revision simply
            # becomes the next canary.
            return s if d == s.stable else self._start(s, restarted=True)
        if d == s.stable:
            if s.canary is None:
                return s
            msg = f"canary {s.canary.id} cancelled: desired revision is the stable one again"
            self.emit(EventType.NORMAL, "CanaryCancelled", msg)
            return self._no_canary(replace(s, message=msg))
        if d == s.failed_revision or d == s.canary:
            return s
        return self._start(s, restarted=s.canary is not None)

    def _start(self, s: RolloutState, restarted: bool) -> RolloutState:
        d, first = self.desired, self.policy.steps[0]
        if restarted and s.canary is not None:
            msg = f"canary restarted with revision {d.id} at {first}% (superseded {s.canary.id})"
            self.emit(EventType.NORMAL, "CanaryRestarted", msg)
        else:
            msg = f"canary of revision {d.id} started at {first}%"
            self.emit(EventType.NORMAL, "CanaryStarted", msg)
        return replace(
            s,
            canary=d,
            step=0,
            weight=first,
            failed_checks=0,
            inconclusive_checks=0,
            step_started_at=self.now,
            next_analysis_at=self.now + max(self.policy.interval_s, self.policy.window_s),
            awaiting_promotion=False,
            last_analysis=None,
            message=msg,
        )

    @staticmethod
    def _no_canary(s: RolloutState) -> RolloutState:
        return replace(
            s, canary=None, step=0, weight=0, next_analysis_at=None, awaiting_promotion=False
        )

    # -- stage 3 ----------------------------------------------------------------------
    def commands(self, s: RolloutState, commands: Commands) -> RolloutState:
        d = self.desired
        if commands.abort is not None:
            if s.canary is not None and not s.promoting and commands.abort == s.canary.id:
                return self._rollback(s, "aborted by a human")
            if (
                s.canary is None
                and commands.abort == d.id
                and d != s.stable
                and d != s.failed_revision
            ):
                # A revision held back by a pause is abandoned before it ever ran.
                msg = f"revision {d.id} aborted by a human before its canary started"
                self.emit(EventType.WARNING, "RolledBack", msg)
                return replace(s, failed_revision=d, message=msg)
        if commands.promote is not None and commands.promote == d.id and d != s.stable:
            if s.canary == d:
                return self._promote(s, manual=True)
            msg = f"revision {d.id} promoted by a human without a canary"
            self.emit(EventType.NORMAL, "Promoted", msg)
            return self._no_canary(
                replace(s, stable=d, failed_revision=None, promoted_manually=True, message=msg)
            )
        return s

    def _promote(self, s: RolloutState, manual: bool) -> RolloutState:
        assert s.canary is not None
        how = "by a human" if manual else f"after {len(self.policy.steps)} passing steps"
        msg = f"revision {s.canary.id} promoted {how}; waiting for the stable track"
        self.emit(EventType.NORMAL, "Promoted", msg)
        return replace(
            s,
            stable=s.canary,
            awaiting_promotion=False,
            step_started_at=self.now,
            next_analysis_at=None,
            promoted_manually=manual,
            message=msg,
        )

    def _rollback(self, s: RolloutState, reason: str) -> RolloutState:
        assert s.canary is not None
        msg = f"revision {s.canary.id} rolled back at {_percent(s)}: {reason}"
        self.emit(EventType.WARNING, "RolledBack", msg)
        # A canary already superseded by a newer desired revision (held back by a pause) is
        # not remembered: only the desired revision can be "failed".
        failed = s.canary if s.canary == self.desired else None
        return self._no_canary(replace(s, failed_revision=failed, message=msg))

    # -- stage 4 ----------------------------------------------------------------------
    def hold(self, s: RolloutState) -> RolloutState:
        return self.hold_paused(s, _describe(s, self.desired))

    # -- stage 5 ----------------------------------------------------------------------
    def analyse(
        self, s: RolloutState, analysis: Analysis | None, observed: Observed
    ) -> RolloutState:
        canary = s.canary
        if canary is None or s.promoting or analysis is None or not consumable(s, analysis):
            return s
        j = judge(
            self.policy,
            s,
            analysis,
            self.now,
            ready=observed.canary_ready,
            track="canary",
            where=f"at {_percent(s)}",
        )
        s, p = j.state, self.policy
        if j.rollback is not None:
            return self._rollback(s, j.rollback)
        if j.hold is not None:
            self.events.append(j.hold)
            return s
        if s.awaiting_promotion:
            return s  # the canary keeps being analysed while it waits for a human
        if s.step + 1 < len(p.steps):
            old = s.weight
            s = replace(s, step=s.step + 1, weight=p.steps[s.step + 1], step_started_at=self.now)
            msg = f"canary {canary.id}: {old}% -> {s.weight}%"
            self.emit(EventType.NORMAL, "StepAdvanced", msg)
            return replace(s, message=msg)
        if p.manual_gate:
            msg = f"canary {canary.id} passed every step; waiting for a manual promote"
            self.emit(EventType.NORMAL, "AwaitingPromotion", msg)
            return replace(s, awaiting_promotion=True, message=msg)
        return self._promote(s, manual=False)

    # -- stage 6 ----------------------------------------------------------------------
    def finish_promotion(self, s: RolloutState, observed: Observed) -> RolloutState:
        if not s.promoting or s.stable is None:
            return s
        right_revision = observed.stable_revision in (None, s.stable.id)
        # `now > step_started_at`: the observation must come from a later reconcile than the
        # one that rendered the promotion, or it describes the old stable pods.
        later = s.step_started_at is None or self.now > s.step_started_at
        if not (observed.stable_ready and right_revision and later):
            return s
        msg = f"revision {s.stable.id} is stable and serves all traffic"
        self.emit(EventType.NORMAL, "PromotionComplete", msg)
        return self._no_canary(replace(s, message=msg))


def _describe(s: RolloutState, desired: Revision | None = None) -> str:
    if s.promoting and s.stable is not None:
        return f"promotion of {s.stable.id} in progress"
    if s.canary is not None:
        gate = ", waiting for a manual promote" if s.awaiting_promotion else ""
        return f"canary {s.canary.id} at {_percent(s)}{gate}"
    if desired is not None and desired != s.stable:
        if desired == s.failed_revision:
            return f"revision {desired.id} was rolled back"
        return f"revision {desired.id} pending"
    return "no rollout in progress"
