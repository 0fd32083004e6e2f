"""decide() for `strategy: blueGreen` (docs/rollouts.md has the table). Pure, like the canary.

A new revision comes up as a full-size preview track behind its own Service while the active
Service keeps selecting stable. Analyses run against the preview; after `analyses` passes
(and a human's promote, with manualGate) the active Service switches to the preview in one
render. The old stable pods stay for `scaleDownDelay`: an abort, a reverted revision or a
failed analysis in that time switches straight back. Then the switch is committed (stable
is moved to the new revision while the preview serves), and once stable is ready on it the
active Service selects stable again (both run the same revision) and the preview goes.

Stages of one call, in order (each consumes its input, so a repeat changes nothing):
  0. first revision: deploy it as stable; a canary left by another strategy is cancelled;
  1. forget failed_revision once the desired revision differs from it;
  2. unless paused: resume, then follow the desired revision (start / restart / cancel the
     preview; once switched, a reverted revision switches back, newer ones wait);
  3. human commands (abort wins over promote), honoured even while paused;
  4. paused: hold everything else;
  5. consume a due analysis (count, pass, switch, roll back);
  6. commit the switch once scaleDownDelay has passed;
  7. finish once the stable track is ready on the new revision, and start a revision that
     waited for the preview track.
"""

from __future__ import annotations

from dataclasses import replace

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
)

PROMOTING_POLL_S = 2.0
MIN_REQUEUE_S = 1.0


def analysis_due(policy: Policy, s: RolloutState, now: float) -> bool:
    """True when decide() would consume an analysis of the preview taken now."""
    return (
        not policy.paused
        and not s.paused
        and s.preview is not None
        and not s.committed
        and s.next_analysis_at is not None
        and now >= s.next_analysis_at
    )


def prepromotion_due(policy: Policy, s: RolloutState, now: float) -> bool:
    """The pre-promotion requests go with every analysis before the switch, never after it:
    then the preview has real traffic."""
    return analysis_due(policy, s, now) and not s.switched


def decide(
    policy: Policy,
    state: RolloutState,
    desired: Revision,
    now: float,
    analysis: Analysis | None,
    commands: Commands,
    observed: Observed,
) -> Decision:
    step = _BlueGreen(policy, desired, now, observed)
    s = state
    if s.stable is None:
        s = step.first_deploy(s)
    s = step.normalize(s)
    if s.failed_revision is not None and s.failed_revision != desired:
        s = replace(s, failed_revision=None)
    if not policy.paused:
        s = step.resume(s)
        s = step.follow_desired(s)
    s = step.commands(s, commands)
    if policy.paused:
        s = step.hold_paused(s, describe(s, desired))
    else:
        s = step.analyse(s, analysis)
        s = step.commit(s)
        s = step.finish(s)
        if s.preview is None:
            # A revision that waited for the preview track starts in this call, not the
            # next one (a repeat must change nothing), unless the track served until now.
            s = step.follow_desired(s)
    s = replace(s, desired=desired, phase=_phase(s, desired))
    assert s.stable is not None
    return Decision(
        state=s,
        render=RenderPlan(
            stable=s.stable,
            canary=None,
            weight=0,
            preview=s.preview,
            preview_active=s.switched,
            preview_replicas=s.preview_replicas,
        ),
        events=tuple(step.events),
        requeue_after=_requeue_after(policy, s, now, desired),
    )


def _phase(s: RolloutState, desired: Revision) -> Phase:
    if s.paused or s.awaiting_promotion:
        return Phase.PAUSED
    if s.switched:
        return Phase.PROMOTING
    if s.preview is not None:
        return Phase.PROGRESSING
    if s.failed_revision is not None and s.failed_revision == desired:
        return Phase.FAILED
    return Phase.READY


def _requeue_after(policy: Policy, s: RolloutState, now: float, desired: Revision) -> float | None:
    if policy.paused:
        return None
    if s.preview is None:
        # Set when a promotion just finished and the next revision starts next time.
        return MIN_REQUEUE_S if desired not in (s.stable, s.failed_revision) else None
    if s.committed:
        return PROMOTING_POLL_S
    waits = [s.next_analysis_at - now] if s.next_analysis_at is not None else []
    if s.switched_at is not None:
        waits.append(s.switched_at + policy.scale_down_delay_s - now)
    return max(MIN_REQUEUE_S, min(waits)) if waits else None


def describe(s: RolloutState, desired: Revision | None = None) -> str:
    if s.committed and s.stable is not None:
        return f"promotion of {s.stable.id} in progress"
    if s.preview is not None and s.switched:
        return f"active Service on preview {s.preview.id}, old track kept"
    if s.preview is not None:
        gate = ", waiting for a manual promote" if s.awaiting_promotion else ""
        return f"preview {s.preview.id} in analysis{gate}"
    if desired is not None and desired != s.stable:
        if desired == s.failed_revision:
            return f"revision {desired.id} was rolled back"
        return f"revision {desired.id} pending"
    return "no rollout in progress"


class _BlueGreen(StepBase):
    def __init__(self, policy: Policy, desired: Revision, now: float, observed: Observed) -> None:
        super().__init__(policy, desired, now)
        self.observed = observed

    # -- stage 0 and bookkeeping ------------------------------------------------------
    def normalize(self, s: RolloutState) -> RolloutState:
        if s.canary is not None:
            msg = f"canary {s.canary.id} cancelled: strategy is now blueGreen"
            self.emit(EventType.NORMAL, "CanaryCancelled", msg)
            s = replace(s, canary=None, next_analysis_at=None, message=msg)
        s = replace(s, weight=0)
        if s.preview is None:
            return replace(s, step=0, awaiting_promotion=False, switched_at=None)
        # A removed gate sends the preview back to analysis: the next pass switches.
        return replace(s, awaiting_promotion=s.awaiting_promotion and self.policy.manual_gate)

    def _no_preview(self, s: RolloutState) -> RolloutState:
        # When the preview track served until this render, remember when: it gets a new
        # revision only in a later call (once the Service has left it).
        left_service = self.now if s.switched else s.step_started_at
        return replace(
            s,
            step_started_at=left_service,
            preview=None,
            switched_at=None,
            preview_replicas=0,
            step=0,
            next_analysis_at=None,
            awaiting_promotion=False,
        )

    # -- stage 2 ----------------------------------------------------------------------
    def resume(self, s: RolloutState) -> RolloutState:
        if not s.paused:
            return s
        s = replace(s, paused=False, message=f"resumed; {describe(s, self.desired)}")
        if s.preview is not None and not s.committed:
            s = replace(s, next_analysis_at=self.now + self.policy.interval_s)
        self.emit(EventType.NORMAL, "Resumed", s.message)
        return s

    def follow_desired(self, s: RolloutState) -> RolloutState:
        d = self.desired
        if s.preview is None:
            if d in (s.stable, s.failed_revision):
                return s
            if s.step_started_at is not None and self.now <= s.step_started_at:
                return s  # the preview track served traffic until this very render
            return self._start(s, restarted=False)
        if s.switched:
            if d == s.stable and not s.committed:
                msg = (
                    f"revision {s.preview.id} cancelled: desired revision is {d.id} again; "
                    f"active Service switched back to it"
                )
                self.emit(EventType.NORMAL, "PreviewCancelled", msg)
                return self._no_preview(replace(s, message=msg))
            return s  # a newer revision waits until this promotion is finished
        if d == s.stable:
            msg = f"preview {s.preview.id} cancelled: desired revision is the stable one again"
            self.emit(EventType.NORMAL, "PreviewCancelled", msg)
            return self._no_preview(replace(s, message=msg))
        if d in (s.preview, s.failed_revision):
            return s
        return self._start(s, restarted=True)

    def _start(self, s: RolloutState, restarted: bool) -> RolloutState:
        d = self.desired
        size = max(self.observed.stable_replicas, 0)
        pods = f"{size} pods" if size else "full size"
        if restarted and s.preview is not None:
            msg = f"preview restarted with revision {d.id} ({pods}; superseded {s.preview.id})"
            self.emit(EventType.NORMAL, "PreviewRestarted", msg)
        else:
            msg = f"preview of revision {d.id} started ({pods}) behind the preview Service"
            self.emit(EventType.NORMAL, "PreviewStarted", msg)
        return replace(
            s,
            preview=d,
            switched_at=None,
            preview_replicas=size,
            step=0,
            failed_checks=0,
            inconclusive_checks=0,
            step_started_at=self.now,
            next_analysis_at=self.now + max(self.policy.interval_s, self.policy.window_s),
            awaiting_promotion=False,
            last_analysis=None,
            message=msg,
        )

    # -- stage 3 ----------------------------------------------------------------------
    def commands(self, s: RolloutState, commands: Commands) -> RolloutState:
        d, p = self.desired, s.preview
        if commands.abort is not None:
            if p is not None and not s.committed and commands.abort == p.id:
                return self._rollback(s, "aborted by a human")
            if p is None and commands.abort == d.id and d not in (s.stable, s.failed_revision):
                msg = f"revision {d.id} aborted by a human before its preview started"
                self.emit(EventType.WARNING, "RolledBack", msg)
                return replace(s, failed_revision=d, message=msg)
        if commands.promote is None or commands.promote != d.id or d == s.stable:
            return s
        if p == d and not s.switched:
            if not self.observed.preview_ready:
                # Level-based: the annotation stays, so the switch happens once they are.
                return replace(s, message=f"promote of {d.id}: waiting for the preview pods")
            return self._switch(s, manual=True)
        if p is None:
            # Nothing to switch to (rolled back, or held back by a pause): as with a canary,
            # a human's promote moves the stable track to it directly.
            msg = f"revision {d.id} promoted by a human without a preview"
            self.emit(EventType.NORMAL, "Promoted", msg)
            return replace(s, stable=d, failed_revision=None, promoted_manually=True, message=msg)
        return s

    def _switch(self, s: RolloutState, manual: bool) -> RolloutState:
        assert s.preview is not None
        assert s.stable is not None
        how = "by a human" if manual else f"after {self.policy.analyses} passing analyses"
        msg = (
            f"active Service switched to revision {s.preview.id} {how}; revision "
            f"{s.stable.id} kept for {self.policy.scale_down_delay_s:g}s"
        )
        self.emit(EventType.NORMAL, "Switched", msg)
        return replace(
            s, switched_at=self.now, awaiting_promotion=False, promoted_manually=manual, message=msg
        )

    def _rollback(self, s: RolloutState, reason: str) -> RolloutState:
        assert s.preview is not None
        assert s.stable is not None
        if s.switched:
            msg = (
                f"revision {s.preview.id} rolled back: {reason}; "
                f"active Service switched back to {s.stable.id}"
            )
        else:
            msg = (
                f"preview {s.preview.id} torn down: {reason}; "
                f"the active Service never left {s.stable.id}"
            )
        self.emit(EventType.WARNING, "RolledBack", msg)
        failed = s.preview if s.preview == self.desired else None
        return self._no_preview(replace(s, failed_revision=failed, message=msg))

    # -- stage 5 ----------------------------------------------------------------------
    def analyse(self, s: RolloutState, analysis: Analysis | None) -> RolloutState:
        p = s.preview
        if p is None or s.committed or analysis is None or not consumable(s, analysis):
            return s
        where = "after the switch" if s.switched else "of the preview"
        j = judge(
            self.policy,
            s,
            analysis,
            self.now,
            ready=self.observed.preview_ready,
            track="preview",
            where=where,
        )
        if j.rollback is not None:
            return self._rollback(j.state, j.rollback)
        if j.hold is not None:
            self.events.append(j.hold)
            return j.state
        s = j.state
        if s.switched or s.awaiting_promotion:
            return s  # analysed on, so a late failure can still switch back
        s = replace(s, step=s.step + 1)
        if s.step < self.policy.analyses:
            msg = f"preview {p.id} passed analysis {s.step}/{self.policy.analyses}"
            self.emit(EventType.NORMAL, "AnalysisPassed", msg)
            return replace(s, message=msg)
        if self.policy.manual_gate:
            msg = f"preview {p.id} passed every analysis; waiting for a manual promote"
            self.emit(EventType.NORMAL, "AwaitingPromotion", msg)
            return replace(s, awaiting_promotion=True, message=msg)
        return self._switch(s, manual=False)

    # -- stages 6 and 7 ---------------------------------------------------------------
    def commit(self, s: RolloutState) -> RolloutState:
        if not s.switched or s.committed or s.switched_at is None:
            return s
        if self.now < s.switched_at + self.policy.scale_down_delay_s:
            return s
        assert s.preview is not None
        msg = (
            f"revision {s.preview.id} promoted: served all traffic for "
            f"{self.policy.scale_down_delay_s:g}s; moving the stable track to it"
        )
        self.emit(EventType.NORMAL, "Promoted", msg)
        return replace(s, stable=s.preview, step_started_at=self.now, message=msg)

    def finish(self, s: RolloutState) -> RolloutState:
        if not s.committed or s.stable is None:
            return s
        o = self.observed
        right_revision = o.stable_revision in (None, s.stable.id)
        # A later reconcile than the one that rendered the commit, or it is the old pods.
        later = s.step_started_at is None or self.now > s.step_started_at
        if not (o.stable_ready and right_revision and later):
            return s
        msg = f"revision {s.stable.id} is stable and serves all traffic; preview removed"
        self.emit(EventType.NORMAL, "PromotionComplete", msg)
        return self._no_preview(replace(s, message=msg))
