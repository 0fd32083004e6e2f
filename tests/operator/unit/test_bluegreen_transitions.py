"""One test per transition of the blue/green state machine (docs/rollouts.md, blue/green table)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flaskops.rollout import (
    Commands,
    EventType,
    Observed,
    Outcome,
    Phase,
    Policy,
    RolloutState,
    Strategy,
    analysis_due,
    prepromotion_due,
)

from tests.operator.unit.bluegreen_helpers import (
    BG,
    PREVIEW_NOT_READY,
    bg,
    preview_of,
    stable_on,
)
from tests.operator.unit.rollout_helpers import (
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
)

GATED = replace(BG, manual_gate=True)
PAUSED = replace(BG, paused=True)


def switched(now: float = 190.0) -> RolloutState:
    """Preview of B started at 100, passed at 130 and 160, switched at 160; `now` unused."""
    s = preview_of(B, 100.0)
    s = bg(s, B, 130.0, analysis=passing(130.0)).state
    s = bg(s, B, 160.0, analysis=passing(160.0)).state
    assert s.switched
    assert s.switched_at == 160.0
    return s


def committed() -> RolloutState:
    s = bg(switched(), B, 220.0).state  # 160 + 60 s scaleDownDelay
    assert s.committed
    return s


# -- starting the preview ---------------------------------------------------------------
def test_first_revision_deploys_directly_as_stable() -> None:
    d = bg(RolloutState(), A, 0.0)
    assert d.state.stable == A
    assert d.render.preview is None
    assert not d.render.preview_active
    assert reasons(d) == ["Deployed"]


def test_new_revision_starts_a_full_size_preview_behind_the_stable_active_service() -> None:
    d = bg(stable_on(A), B, 100.0)
    assert reasons(d) == ["PreviewStarted"]
    assert d.state.phase is Phase.PROGRESSING
    assert d.render.stable == A
    assert d.render.preview == B
    assert d.render.preview_active is False
    assert d.render.preview_replicas == 4  # the stable track's size when it started
    assert d.render.canary is None
    assert d.render.weight == 0
    assert d.state.next_analysis_at == 130.0  # max(interval, window)
    assert d.requeue_after == 30.0


def test_analysis_not_due_changes_nothing() -> None:
    s = preview_of()
    assert not analysis_due(BG, s, 120.0)
    d = bg(s, B, 120.0, analysis=passing(120.0))
    assert d.state == s
    assert d.events == ()


def test_passing_analyses_count_then_switch_the_active_service_in_one_step() -> None:
    s = preview_of()
    d = bg(s, B, 130.0, analysis=passing(130.0))
    assert reasons(d) == ["AnalysisPassed"]
    assert d.state.step == 1
    assert d.render.preview_active is False
    d = bg(d.state, B, 160.0, analysis=passing(160.0))
    assert reasons(d) == ["Switched"]
    assert d.state.phase is Phase.PROMOTING
    assert d.render.preview_active is True
    assert d.render.stable == A  # the old pods keep running
    assert d.state.switched_at == 160.0
    assert not d.state.promoted_manually
    assert "kept for 60s" in d.events[0].message


def test_pre_promotion_requests_go_with_analyses_before_the_switch_only() -> None:
    s = preview_of()
    assert prepromotion_due(BG, s, 130.0)
    assert not prepromotion_due(BG, s, 129.0)
    after = switched()
    assert analysis_due(BG, after, 200.0)  # analysed on after the switch ...
    assert not prepromotion_due(BG, after, 200.0)  # ... on real traffic only


def test_passing_analysis_of_a_preview_that_is_not_ready_is_inconclusive() -> None:
    d = bg(preview_of(), B, 130.0, analysis=passing(130.0), observed=PREVIEW_NOT_READY)
    assert reasons(d) == ["AnalysisInconclusive"]
    assert d.state.step == 0
    assert d.state.last_analysis is not None
    assert d.state.last_analysis.checks[-1].name == "previewReady"


# -- a bad preview --------------------------------------------------------------------------
def test_severe_breach_tears_the_preview_down_without_the_active_service_moving() -> None:
    d = bg(preview_of(), B, 130.0, analysis=failing(130.0, severe=True))
    assert reasons(d) == ["RolledBack"]
    assert d.events[0].type is EventType.WARNING
    assert "the active Service never left" in d.events[0].message
    assert d.state.phase is Phase.FAILED
    assert d.state.failed_revision == B
    assert d.render.preview is None
    assert d.render.preview_active is False
    assert d.render.stable == A


def test_failed_analyses_hold_then_roll_back_at_the_threshold() -> None:
    d = bg(preview_of(), B, 130.0, analysis=failing(130.0))
    assert reasons(d) == ["AnalysisFailed"]
    assert d.render.preview == B
    d = bg(d.state, B, 160.0, analysis=failing(160.0))
    assert reasons(d) == ["RolledBack"]
    assert d.state.phase is Phase.FAILED


def test_inconclusive_analyses_roll_back_at_the_limit() -> None:
    d = bg(preview_of(), B, 130.0, analysis=inconclusive(130.0))
    assert reasons(d) == ["AnalysisInconclusive"]
    d = bg(d.state, B, 160.0, analysis=inconclusive(160.0))
    assert reasons(d) == ["RolledBack"]
    assert d.render.preview is None


def test_failed_revision_is_not_retried_while_desired() -> None:
    s = bg(preview_of(), B, 130.0, analysis=failing(130.0, severe=True)).state
    d = bg(s, B, 500.0)
    assert d.events == ()
    assert d.render.preview is None
    assert d.state.phase is Phase.FAILED
    # A different revision forgets the failure and gets its own preview.
    d = bg(s, C, 510.0)
    assert reasons(d) == ["PreviewStarted"]
    assert d.state.failed_revision is None


# -- the switch and the scale-down delay --------------------------------------------------
def test_old_track_is_kept_for_the_scale_down_delay() -> None:
    s = switched()
    d = bg(s, B, 170.0)
    assert d.events == ()
    assert d.render.stable == A
    assert d.render.preview_active
    assert d.requeue_after == 20.0  # the next analysis (190) comes before the delay's end (220)
    assert bg(s, B, 215.0, analysis=passing(215.0)).requeue_after == 5.0  # then the delay


def test_after_the_delay_the_switch_is_committed_and_stable_moves_to_the_new_revision() -> None:
    d = bg(switched(), B, 220.0)
    assert reasons(d) == ["Promoted"]
    assert d.state.stable == B
    assert d.render.stable == B
    assert d.render.preview == B
    assert d.render.preview_active
    assert d.state.phase is Phase.PROMOTING


def test_promotion_completes_once_stable_is_ready_on_the_new_revision() -> None:
    s = committed()
    # Same reconcile time as the commit: the observation describes the old pods.
    assert bg(s, B, 220.0).events == ()
    not_ready = Observed(stable_ready=False, preview_ready=True)
    assert bg(s, B, 230.0, observed=not_ready).events == ()
    wrong = Observed(stable_ready=True, preview_ready=True, stable_revision=A.id)
    assert bg(s, B, 230.0, observed=wrong).events == ()
    d = bg(s, B, 230.0, observed=Observed(True, True, B.id, True))
    assert reasons(d) == ["PromotionComplete"]
    assert d.state.phase is Phase.READY
    assert d.render.stable == B
    assert d.render.preview is None
    assert not d.render.preview_active


def test_committed_promotion_polls_the_stable_track() -> None:
    assert bg(committed(), B, 221.0, observed=Observed(False, True)).requeue_after == 2.0


def test_failing_analysis_after_the_switch_switches_back() -> None:
    s = switched()
    d = bg(s, B, 190.0, analysis=failing(190.0))
    assert reasons(d) == ["AnalysisFailed"]
    assert d.render.preview_active
    d = bg(d.state, B, 215.0, analysis=failing(220.0))
    assert reasons(d) == ["RolledBack"]
    assert "switched back" in d.events[0].message
    assert d.render.stable == A
    assert d.render.preview is None
    assert d.state.phase is Phase.FAILED


def test_passing_analysis_after_the_switch_only_records_it() -> None:
    d = bg(switched(), B, 190.0, analysis=passing(190.0))
    assert d.events == ()
    assert d.state.last_analysis is not None
    assert d.state.step == 2


# -- human commands -------------------------------------------------------------------------
def test_abort_during_the_scale_down_delay_switches_straight_back() -> None:
    s = switched()
    d = bg(s, B, 200.0, commands=Commands(abort=B.id))
    assert reasons(d) == ["RolledBack"]
    assert d.render.stable == A  # the old pods never went away: no rollout to wait for
    assert d.render.preview is None
    assert not d.render.preview_active
    assert d.state.failed_revision == B
    assert d.state.phase is Phase.FAILED


def test_abort_of_the_preview_before_the_switch_tears_it_down() -> None:
    d = bg(preview_of(), B, 110.0, commands=Commands(abort=B.id))
    assert reasons(d) == ["RolledBack"]
    assert "aborted by a human" in d.events[0].message
    assert d.render.preview is None


def test_abort_after_the_commit_is_ignored() -> None:
    d = bg(committed(), B, 225.0, commands=Commands(abort=B.id), observed=Observed(False, True))
    assert d.events == ()
    assert d.render.stable == B
    assert d.render.preview_active


def test_commands_naming_another_revision_are_ignored() -> None:
    s = preview_of()
    d = bg(s, B, 110.0, commands=Commands(abort=C.id, promote=A.id))
    assert d.state == s
    assert d.events == ()


def test_promote_switches_a_ready_preview_at_once() -> None:
    d = bg(preview_of(), B, 110.0, commands=Commands(promote=B.id))
    assert reasons(d) == ["Switched"]
    assert d.state.promoted_manually
    assert "by a human" in d.events[0].message
    # The annotation stays: the next reconcile must not do anything more.
    again = bg(d.state, B, 111.0, commands=Commands(promote=B.id))
    assert again.events == ()


def test_promote_waits_for_the_preview_pods_to_be_ready() -> None:
    s = preview_of()
    d = bg(s, B, 110.0, commands=Commands(promote=B.id), observed=PREVIEW_NOT_READY)
    assert d.events == ()
    assert not d.render.preview_active
    assert "waiting for the preview pods" in d.state.message
    d = bg(d.state, B, 112.0, commands=Commands(promote=B.id))
    assert reasons(d) == ["Switched"]


def test_promote_of_a_revision_without_a_preview_moves_stable_directly() -> None:
    s = bg(preview_of(), B, 130.0, analysis=failing(130.0, severe=True)).state
    d = bg(s, B, 140.0, commands=Commands(promote=B.id))
    assert reasons(d) == ["Promoted"]
    assert d.state.stable == B
    assert d.state.promoted_manually
    assert d.render.preview is None
    assert d.state.phase is Phase.READY


def test_abort_of_a_revision_held_back_by_a_pause() -> None:
    s = stable_on(A)
    d = bg(s, B, 100.0, policy=PAUSED, commands=Commands(abort=B.id))
    assert reasons(d) == ["RolledBack", "Paused"]
    assert d.state.failed_revision == B
    d = bg(d.state, B, 110.0, commands=Commands(abort=B.id))
    assert reasons(d) == ["Resumed"]
    assert d.state.phase is Phase.FAILED
    assert d.render.preview is None


# -- manual gate --------------------------------------------------------------------------
def test_manual_gate_waits_after_the_analyses_and_keeps_analysing() -> None:
    s = preview_of(policy=GATED)
    s = bg(s, B, 130.0, policy=GATED, analysis=passing(130.0)).state
    d = bg(s, B, 160.0, policy=GATED, analysis=passing(160.0))
    assert reasons(d) == ["AwaitingPromotion"]
    assert d.state.phase is Phase.PAUSED
    assert not d.render.preview_active
    more = bg(d.state, B, 190.0, policy=GATED, analysis=passing(190.0))
    assert more.events == ()
    assert not more.render.preview_active
    bad = bg(d.state, B, 190.0, policy=GATED, analysis=failing(190.0, severe=True))
    assert reasons(bad) == ["RolledBack"]
    go = bg(d.state, B, 170.0, policy=GATED, commands=Commands(promote=B.id))
    assert reasons(go) == ["Switched"]


def test_removing_the_gate_while_waiting_switches_on_the_next_pass() -> None:
    s = preview_of(policy=GATED)
    s = bg(s, B, 130.0, policy=GATED, analysis=passing(130.0)).state
    s = bg(s, B, 160.0, policy=GATED, analysis=passing(160.0)).state
    assert s.awaiting_promotion
    d = bg(s, B, 170.0)
    assert d.events == ()
    assert not d.render.preview_active
    d = bg(d.state, B, 190.0, analysis=passing(190.0))
    assert reasons(d) == ["Switched"]


# -- desired revision changes ---------------------------------------------------------------
def test_reverting_to_stable_cancels_the_preview() -> None:
    d = bg(preview_of(), A, 110.0)
    assert reasons(d) == ["PreviewCancelled"]
    assert d.render.preview is None
    assert d.state.phase is Phase.READY
    assert d.state.failed_revision is None


def test_reverting_to_stable_after_the_switch_switches_back() -> None:
    d = bg(switched(), A, 200.0)
    assert reasons(d) == ["PreviewCancelled"]
    assert d.render.stable == A
    assert d.render.preview is None
    assert d.state.phase is Phase.READY


def test_newer_revision_restarts_the_preview() -> None:
    d = bg(bg(preview_of(), B, 130.0, analysis=passing(130.0)).state, C, 140.0)
    assert reasons(d) == ["PreviewRestarted"]
    assert d.state.preview == C
    assert d.state.step == 0
    assert d.state.next_analysis_at == 170.0


def test_newer_revision_after_the_switch_waits_for_the_promotion() -> None:
    s = switched()
    d = bg(s, C, 200.0)
    assert d.events == ()
    assert d.state.preview == B
    assert d.render.preview_active
    d = bg(d.state, C, 220.0)
    assert reasons(d) == ["Promoted"]
    d = bg(d.state, C, 230.0, observed=Observed(True, True, B.id, True))
    assert reasons(d) == ["PromotionComplete"]  # the preview track leaves the Service first
    assert d.render.preview is None
    assert d.requeue_after == 1.0
    assert bg(d.state, C, 230.0).events == ()
    d = bg(d.state, C, 231.0)
    assert reasons(d) == ["PreviewStarted"]
    assert d.state.stable == B
    assert d.state.preview == C


# -- pause --------------------------------------------------------------------------------
def test_pause_holds_the_scale_down_delay_and_resume_continues() -> None:
    s = switched()
    d = bg(s, B, 300.0, policy=PAUSED)
    assert reasons(d) == ["Paused"]
    assert d.state.stable == A
    assert d.render.preview_active
    assert d.requeue_after is None
    d = bg(d.state, B, 310.0)
    assert reasons(d) == ["Resumed", "Promoted"]


def test_resume_restarts_the_analysis_clock_of_the_preview() -> None:
    s = bg(preview_of(), B, 120.0, policy=PAUSED).state
    d = bg(s, B, 200.0)
    assert reasons(d) == ["Resumed"]
    assert d.state.next_analysis_at == 230.0


# -- strategy changes -----------------------------------------------------------------------
def test_switching_to_blue_green_cancels_a_running_canary() -> None:
    s = canary_of(B, 100.0)
    d = bg(s, B, 110.0)
    assert reasons(d) == ["CanaryCancelled", "PreviewStarted"]
    assert d.render.canary is None
    assert d.render.preview == B


def test_switching_away_from_blue_green_removes_the_preview() -> None:
    d = run(preview_of(), B, 110.0, policy=POLICY)
    assert reasons(d) == ["PreviewCancelled", "CanaryStarted"]
    assert d.state.preview is None
    assert d.render.preview is None
    assert d.render.canary == B


# -- policy and persistence -------------------------------------------------------------------
def test_policy_reads_the_blue_green_section() -> None:
    p = Policy.from_spec(
        {
            "strategy": "blueGreen",
            "canary": {"interval": "5s", "manualGate": False},
            "blueGreen": {
                "interval": "10s",
                "analyses": 4,
                "manualGate": True,
                "scaleDownDelay": "1m30s",
            },
        }
    )
    assert p.strategy is Strategy.BLUE_GREEN
    assert (p.interval_s, p.analyses, p.manual_gate, p.scale_down_delay_s) == (10, 4, True, 90)
    defaults = Policy.from_spec({"strategy": "blueGreen"})
    assert (defaults.analyses, defaults.scale_down_delay_s, defaults.interval_s) == (3, 30, 30)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("analyses", 0, "rollout.blueGreen.analyses: must be at least 1"),
        ("scaleDownDelay", -1, "rollout.blueGreen.scaleDownDelay: must not be negative"),
    ],
)
def test_bad_blue_green_policy_names_the_field(field: str, value: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy.from_spec({"strategy": "blueGreen", "blueGreen": {field: value}})


def test_blue_green_state_round_trips_through_strict_json() -> None:
    for s in (preview_of(), switched(), committed()):
        text = json.dumps(s.to_dict(), allow_nan=False)
        assert RolloutState.from_dict(json.loads(text)) == s
    assert switched().to_dict()["switchedAt"] == 160.0


def test_verdict_outcomes_used_here_are_what_they_say() -> None:
    assert passing(1.0).verdict is Outcome.PASS
    assert failing(1.0).verdict is Outcome.FAIL
