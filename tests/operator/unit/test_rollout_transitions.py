"""One test per transition of the canary state machine (docs/rollouts.md, transition table)."""

from __future__ import annotations

import json
from dataclasses import replace

from flaskops.rollout import (
    PROMOTING_POLL_S,
    Commands,
    EventType,
    Observed,
    Outcome,
    Phase,
    Policy,
    RenderPlan,
    RolloutState,
    Strategy,
    analysis_due,
)

from tests.operator.unit.rollout_helpers import (
    B_NEW_CONFIG,
    HEALTHY,
    POLICY,
    A,
    B,
    C,
    canary_of,
    failing,
    inconclusive,
    passing,
    reasons,
    run,
    stable_on,
)

PAUSED = replace(POLICY, paused=True)
GATED = replace(POLICY, manual_gate=True)


# -- first deploy, steady state, rolling ------------------------------------------------
def test_first_revision_deploys_directly_as_stable() -> None:
    d = run(RolloutState(), A, 0.0)
    assert d.state.phase is Phase.READY
    assert d.state.stable == A
    assert d.state.canary is None
    assert d.render == RenderPlan(stable=A, canary=None, weight=0)
    assert reasons(d) == ["Deployed"]
    assert d.requeue_after is None


def test_first_revision_deploys_even_when_paused() -> None:
    d = run(RolloutState(), A, 0.0, policy=PAUSED)
    assert d.state.stable == A
    assert d.render.canary is None


def test_unchanged_revision_is_a_no_op() -> None:
    s = stable_on(A)
    d = run(s, A, 500.0)
    assert d.state == s
    assert d.events == ()


def test_rolling_strategy_moves_stable_straight_to_the_new_revision() -> None:
    rolling = replace(POLICY, strategy=Strategy.ROLLING)
    d = run(stable_on(A, rolling), B, 10.0, policy=rolling)
    assert d.state.stable == B
    assert d.state.canary is None
    assert d.state.phase is Phase.READY
    assert reasons(d) == ["Deployed"]


def test_switching_to_rolling_mid_canary_deploys_and_drops_the_canary() -> None:
    rolling = replace(POLICY, strategy=Strategy.ROLLING)
    d = run(canary_of(B), B, 110.0, policy=rolling)
    assert d.state.stable == B
    assert d.render == RenderPlan(stable=B, canary=None, weight=0)


# -- starting, restarting, cancelling a canary ------------------------------------------
def test_new_image_starts_a_canary_at_the_first_step() -> None:
    d = run(stable_on(A), B, 100.0)
    assert d.state.phase is Phase.PROGRESSING
    assert d.render == RenderPlan(stable=A, canary=B, weight=10)
    assert d.state.step_started_at == 100.0
    assert d.state.next_analysis_at == 130.0
    assert d.requeue_after == 30.0
    assert reasons(d) == ["CanaryStarted"]


def test_config_change_alone_starts_a_canary() -> None:
    d = run(stable_on(B), B_NEW_CONFIG, 100.0)
    assert d.render.canary == B_NEW_CONFIG
    assert B.id != B_NEW_CONFIG.id


def test_newer_revision_during_a_canary_restarts_it_at_the_first_step() -> None:
    s = run(canary_of(B), B, 130.0, analysis=passing(130.0)).state
    s = run(s, B, 160.0, analysis=failing(160.0)).state
    assert (s.weight, s.failed_checks) == (50, 1)
    d = run(s, C, 170.0)
    assert d.render == RenderPlan(stable=A, canary=C, weight=10)
    assert (d.state.step, d.state.failed_checks, d.state.last_analysis) == (0, 0, None)
    assert d.state.next_analysis_at == 200.0
    assert reasons(d) == ["CanaryRestarted"]


def test_reverting_to_the_stable_revision_cancels_the_canary() -> None:
    d = run(canary_of(B), A, 110.0)
    assert d.state.phase is Phase.READY
    assert d.render == RenderPlan(stable=A, canary=None, weight=0)
    assert reasons(d) == ["CanaryCancelled"]


# -- analysis ------------------------------------------------------------------------------
def test_analysis_is_due_only_after_the_interval() -> None:
    s = canary_of(B, now=100.0)
    assert not analysis_due(POLICY, s, 129.9)
    assert analysis_due(POLICY, s, 130.0)
    assert not analysis_due(PAUSED, s, 130.0)
    assert not analysis_due(POLICY, stable_on(A), 1e9)


def test_an_analysis_taken_before_it_is_due_is_ignored() -> None:
    s = canary_of(B, now=100.0)
    d = run(s, B, 120.0, analysis=failing(120.0, severe=True))
    assert d.state == replace(s, message=d.state.message)
    assert d.events == ()


def test_passing_analysis_advances_the_weight() -> None:
    d = run(canary_of(B), B, 131.0, analysis=passing(131.0))
    assert d.render.weight == 50
    assert d.state.step == 1
    assert d.state.step_started_at == 131.0
    assert d.state.next_analysis_at == 161.0
    assert d.state.last_analysis == passing(131.0)
    assert reasons(d) == ["StepAdvanced"]


def test_the_same_analysis_is_never_consumed_twice() -> None:
    s = run(canary_of(B), B, 130.0, analysis=passing(130.0)).state
    d = run(s, B, 170.0, analysis=passing(130.0))
    assert d.state.step == 1
    assert d.events == ()


def test_failing_analysis_holds_the_weight_below_the_threshold() -> None:
    d = run(canary_of(B), B, 130.0, analysis=failing(130.0))
    assert d.state.phase is Phase.PROGRESSING
    assert d.render.weight == 10
    assert d.state.failed_checks == 1
    assert [(e.type, e.reason) for e in d.events] == [(EventType.WARNING, "AnalysisFailed")]


def test_failure_threshold_rolls_back_and_leaves_stable_untouched() -> None:
    s = run(canary_of(B), B, 130.0, analysis=failing(130.0)).state
    d = run(s, B, 160.0, analysis=failing(160.0))
    assert d.state.phase is Phase.FAILED
    assert d.render == RenderPlan(stable=A, canary=None, weight=0)
    assert d.state.stable == A
    assert d.state.failed_revision == B
    assert d.state.failed_checks == 2
    assert "2 failed analyses" in d.state.message
    assert [(e.type, e.reason) for e in d.events] == [(EventType.WARNING, "RolledBack")]
    assert d.requeue_after is None


def test_failures_count_across_passing_steps() -> None:
    s = run(canary_of(B), B, 130.0, analysis=failing(130.0)).state
    s = run(s, B, 160.0, analysis=passing(160.0)).state
    d = run(s, B, 190.0, analysis=failing(190.0))
    assert d.state.phase is Phase.FAILED


def test_inconclusive_analysis_holds_and_never_advances() -> None:
    d = run(canary_of(B), B, 130.0, analysis=inconclusive(130.0))
    assert d.render.weight == 10
    assert d.state.inconclusive_checks == 1
    assert reasons(d) == ["AnalysisInconclusive"]


def test_inconclusive_limit_rolls_back() -> None:
    s = run(canary_of(B), B, 130.0, analysis=inconclusive(130.0)).state
    d = run(s, B, 160.0, analysis=inconclusive(160.0))
    assert d.state.phase is Phase.FAILED
    assert d.render.canary is None
    assert "2 inconclusive analyses" in d.state.message


def test_an_analysis_without_checks_is_inconclusive() -> None:
    from flaskops.rollout import Analysis

    d = run(canary_of(B), B, 130.0, analysis=Analysis((), 130.0))
    assert d.state.inconclusive_checks == 1
    assert d.render.weight == 10


def test_severe_breach_rolls_back_at_once() -> None:
    lenient = replace(POLICY, failure_threshold=10)
    s = canary_of(B, policy=lenient)
    d = run(s, B, 130.0, policy=lenient, analysis=failing(130.0, severe=True))
    assert d.state.phase is Phase.FAILED
    assert d.render.canary is None
    assert "severe" in d.state.message


def test_a_pass_while_the_canary_is_not_ready_counts_as_inconclusive() -> None:
    not_ready = Observed(stable_ready=True, canary_ready=False)
    d = run(canary_of(B), B, 130.0, analysis=passing(130.0), observed=not_ready)
    assert d.render.weight == 10
    assert d.state.inconclusive_checks == 1
    assert d.state.last_analysis is not None
    assert d.state.last_analysis.verdict is Outcome.INCONCLUSIVE
    assert d.state.last_analysis.checks[-1].name == "canaryReady"


# -- promotion -------------------------------------------------------------------------------
def _at_last_step(policy: Policy = POLICY) -> RolloutState:
    return run(canary_of(B, policy=policy), B, 130.0, policy=policy, analysis=passing(130.0)).state


def test_passing_the_last_step_promotes_keeping_the_canary_serving() -> None:
    d = run(_at_last_step(), B, 160.0, analysis=passing(160.0))
    assert d.state.phase is Phase.PROMOTING
    assert d.state.stable == B
    assert d.render == RenderPlan(stable=B, canary=B, weight=50)
    assert not d.state.promoted_manually
    assert reasons(d) == ["Promoted"]
    assert d.requeue_after == PROMOTING_POLL_S


def test_promotion_completes_once_the_stable_track_is_ready_later() -> None:
    s = run(_at_last_step(), B, 160.0, analysis=passing(160.0)).state
    # Same reconcile's observation describes the old stable pods: not enough.
    assert run(s, B, 160.0).state == s
    assert run(s, B, 162.0, observed=Observed(stable_ready=False, canary_ready=True)).state == s
    old_pods = Observed(stable_ready=True, canary_ready=True, stable_revision=A.id)
    assert run(s, B, 162.0, observed=old_pods).state == s
    d = run(s, B, 162.0, observed=Observed(True, True, stable_revision=B.id))
    assert d.state.phase is Phase.READY
    assert d.render == RenderPlan(stable=B, canary=None, weight=0)
    assert reasons(d) == ["PromotionComplete"]


def test_manual_gate_waits_after_the_last_step() -> None:
    d = run(_at_last_step(GATED), B, 160.0, policy=GATED, analysis=passing(160.0))
    assert d.state.phase is Phase.PAUSED
    assert d.state.awaiting_promotion
    assert d.render == RenderPlan(stable=A, canary=B, weight=50)
    assert reasons(d) == ["AwaitingPromotion"]
    later = run(d.state, B, 190.0, policy=GATED, analysis=passing(190.0))
    assert later.state.stable == A
    assert later.events == ()


def test_analysis_continues_at_the_gate_and_can_still_roll_back() -> None:
    s = run(_at_last_step(GATED), B, 160.0, policy=GATED, analysis=passing(160.0)).state
    assert analysis_due(GATED, s, 190.0)
    s = run(s, B, 190.0, policy=GATED, analysis=failing(190.0)).state
    d = run(s, B, 220.0, policy=GATED, analysis=failing(220.0))
    assert d.state.phase is Phase.FAILED
    assert d.render.canary is None


def test_promote_command_at_the_gate_promotes_manually() -> None:
    s = run(_at_last_step(GATED), B, 160.0, policy=GATED, analysis=passing(160.0)).state
    d = run(s, B, 170.0, policy=GATED, commands=Commands(promote=B.id))
    assert d.state.phase is Phase.PROMOTING
    assert d.state.promoted_manually
    assert reasons(d) == ["Promoted"]


def test_removing_the_gate_while_waiting_needs_a_fresh_pass_to_promote() -> None:
    s = run(_at_last_step(GATED), B, 160.0, policy=GATED, analysis=passing(160.0)).state
    d = run(s, B, 170.0)
    assert d.state.phase is Phase.PROGRESSING
    assert d.state.stable == A
    d = run(d.state, B, 190.0, analysis=passing(190.0))
    assert d.state.phase is Phase.PROMOTING


def test_a_newer_revision_during_promotion_becomes_the_next_canary() -> None:
    s = run(_at_last_step(), B, 160.0, analysis=passing(160.0)).state
    d = run(s, C, 161.0)
    assert d.state.stable == B
    assert d.render == RenderPlan(stable=B, canary=C, weight=10)
    assert reasons(d) == ["CanaryRestarted"]


# -- failed revisions ----------------------------------------------------------------------
def _failed() -> RolloutState:
    return run(canary_of(B), B, 130.0, analysis=failing(130.0, severe=True)).state


def test_a_failed_revision_is_not_retried_while_it_stays_desired() -> None:
    s = _failed()
    d = run(s, B, 500.0)
    assert d.state == s
    assert d.render == RenderPlan(stable=A, canary=None, weight=0)


def test_a_new_revision_after_a_failure_starts_a_canary() -> None:
    d = run(_failed(), C, 500.0)
    assert d.state.canary == C
    assert d.state.failed_revision is None


def test_reverting_to_stable_after_a_failure_is_ready() -> None:
    d = run(_failed(), A, 500.0)
    assert d.state.phase is Phase.READY
    assert d.state.failed_revision is None


def test_a_failed_revision_asked_for_again_after_a_change_is_retried() -> None:
    s = run(_failed(), A, 500.0).state
    d = run(s, B, 510.0)
    assert d.render.canary == B


# -- pause / resume ------------------------------------------------------------------------
def test_pause_holds_the_canary_and_skips_analysis() -> None:
    s = canary_of(B)
    d = run(s, B, 130.0, policy=PAUSED, analysis=failing(130.0, severe=True))
    assert d.state.phase is Phase.PAUSED
    assert d.render == RenderPlan(stable=A, canary=B, weight=10)
    assert d.state.failed_checks == 0
    assert reasons(d) == ["Paused"]
    assert d.requeue_after is None
    again = run(d.state, B, 140.0, policy=PAUSED)
    assert again.events == ()


def test_pause_holds_a_new_revision_back() -> None:
    d = run(stable_on(A), B, 100.0, policy=PAUSED)
    assert d.render == RenderPlan(stable=A, canary=None, weight=0)
    assert d.state.phase is Phase.PAUSED
    assert f"revision {B.id} pending" in d.state.message


def test_resume_continues_at_the_same_step_with_a_fresh_interval() -> None:
    s = run(canary_of(B), B, 130.0, analysis=passing(130.0)).state
    s = run(s, B, 140.0, policy=PAUSED).state
    d = run(s, B, 400.0, analysis=passing(400.0))
    assert d.state.phase is Phase.PROGRESSING
    assert d.render.weight == 50
    assert d.state.next_analysis_at == 430.0
    assert reasons(d) == ["Resumed"]


def test_resume_starts_a_revision_held_back_by_the_pause() -> None:
    s = run(stable_on(A), B, 100.0, policy=PAUSED).state
    d = run(s, B, 200.0)
    assert d.render.canary == B
    assert reasons(d) == ["Resumed", "CanaryStarted"]


def test_pause_holds_a_promotion_until_resumed() -> None:
    s = run(_at_last_step(), B, 160.0, analysis=passing(160.0)).state
    d = run(s, B, 170.0, policy=PAUSED)
    assert d.render == RenderPlan(stable=B, canary=B, weight=50)
    assert d.state.phase is Phase.PAUSED
    d = run(d.state, B, 180.0)
    assert d.state.phase is Phase.READY


# -- human commands ------------------------------------------------------------------------
def test_promote_command_mid_canary_promotes_now() -> None:
    d = run(canary_of(B), B, 105.0, commands=Commands(promote=B.id))
    assert d.state.phase is Phase.PROMOTING
    assert d.state.stable == B
    assert d.state.promoted_manually
    assert "by a human" in d.events[0].message


def test_a_stale_promote_never_touches_a_later_revision() -> None:
    d = run(canary_of(B), C, 105.0, commands=Commands(promote=B.id))
    assert d.state.stable == A
    assert d.render.canary == C


def test_promote_command_overrides_a_failure() -> None:
    d = run(_failed(), B, 500.0, commands=Commands(promote=B.id))
    assert d.state.stable == B
    assert d.state.phase is Phase.READY
    assert d.state.promoted_manually
    assert reasons(d) == ["Promoted"]


def test_abort_command_rolls_back_now() -> None:
    d = run(canary_of(B), B, 105.0, commands=Commands(abort=B.id))
    assert d.state.phase is Phase.FAILED
    assert d.render.canary is None
    assert "aborted" in d.state.message


def test_a_stale_abort_is_ignored() -> None:
    d = run(canary_of(B), C, 105.0, commands=Commands(abort=B.id))
    assert d.render.canary == C
    assert d.state.phase is Phase.PROGRESSING


def test_abort_works_while_paused() -> None:
    s = run(canary_of(B), B, 110.0, policy=PAUSED).state
    d = run(s, B, 120.0, policy=PAUSED, commands=Commands(abort=B.id))
    assert d.render.canary is None
    assert d.state.phase is Phase.PAUSED
    assert run(d.state, B, 130.0).state.phase is Phase.FAILED


def test_abort_of_a_held_back_revision_marks_it_failed() -> None:
    s = run(stable_on(A), B, 100.0, policy=PAUSED).state
    s = run(s, B, 110.0, policy=PAUSED, commands=Commands(abort=B.id)).state
    d = run(s, B, 120.0)
    assert d.state.phase is Phase.FAILED
    assert d.render.canary is None


def test_abort_is_ignored_once_the_promotion_is_under_way() -> None:
    s = run(_at_last_step(), B, 160.0, analysis=passing(160.0)).state
    rolling_out = Observed(stable_ready=False, canary_ready=True)
    d = run(s, B, 161.0, commands=Commands(abort=B.id), observed=rolling_out)
    assert d.state == s


def test_abort_wins_over_promote_for_the_same_revision() -> None:
    d = run(canary_of(B), B, 105.0, commands=Commands(promote=B.id, abort=B.id))
    assert d.state.phase is Phase.FAILED


# -- policy edits and restarts -------------------------------------------------------------
def test_editing_the_steps_mid_canary_keeps_the_weight_on_a_step() -> None:
    s = run(canary_of(B), B, 130.0, analysis=passing(130.0)).state
    d = run(s, B, 131.0, policy=replace(POLICY, steps=(20,)))
    assert (d.state.step, d.render.weight) == (0, 20)


def test_state_survives_a_restart_mid_promotion_without_a_second_promotion() -> None:
    d1 = run(_at_last_step(), B, 160.0, analysis=passing(160.0))
    assert reasons(d1) == ["Promoted"]
    restored = RolloutState.from_dict(json.loads(json.dumps(d1.state.to_dict())))
    assert restored == d1.state
    d2 = run(restored, B, 170.0, analysis=passing(160.0), observed=HEALTHY)
    assert reasons(d2) == ["PromotionComplete"]
    d3 = run(d2.state, B, 180.0, analysis=passing(160.0))
    assert d3.events == ()


def test_first_analysis_of_a_canary_waits_a_whole_metric_window() -> None:
    """The track label is shared by successive canaries: an analysis before one window has
    passed would still see the previous canary's samples (and could pass a bad release)."""
    policy = replace(POLICY, interval_s=5, window_s=60)
    s = canary_of(B, now=100.0, policy=policy)
    assert not analysis_due(policy, s, 100.0 + 5)
    assert not analysis_due(policy, s, 100.0 + 59)
    assert analysis_due(policy, s, 100.0 + 60)
    # An early analysis is not consumed: the weight holds at the first step.
    early = run(s, B, 105.0, policy=policy, analysis=passing(105.0))
    assert early.state.weight == policy.steps[0]
    # After the first window, later steps follow one interval apart.
    advanced = run(s, B, 160.0, policy=policy, analysis=passing(160.0)).state
    assert advanced.weight == policy.steps[1]
    assert analysis_due(policy, advanced, 165.0)
