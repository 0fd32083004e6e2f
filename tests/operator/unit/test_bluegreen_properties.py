"""Property tests of blue/green: random sequences of revisions, analyses, commands, pauses,
time, readiness and strategy edits never break its invariants."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from flaskops.rollout import (
    Analysis,
    Commands,
    Decision,
    Observed,
    Outcome,
    Phase,
    Policy,
    Revision,
    RolloutState,
    Strategy,
    analysis_due,
    decide,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.operator.unit.rollout_helpers import B_NEW_CONFIG, A, B, C
from tests.operator.unit.test_rollout_properties import analyse, check_results, desire, wait

REVISIONS = (A, B, C, B_NEW_CONFIG)
POLICIES = (
    Policy(
        strategy=Strategy.BLUE_GREEN,
        interval_s=30,
        failure_threshold=2,
        inconclusive_limit=2,
        analyses=2,
        scale_down_delay_s=60,
    ),
    Policy(
        strategy=Strategy.BLUE_GREEN,
        interval_s=10,
        window_s=10,
        failure_threshold=1,
        inconclusive_limit=3,
        analyses=1,
        scale_down_delay_s=0,
    ),
    Policy(
        strategy=Strategy.BLUE_GREEN,
        interval_s=20,
        failure_threshold=3,
        inconclusive_limit=1,
        analyses=4,
        scale_down_delay_s=25,
    ),
)

targets = st.sampled_from(["preview", "desired", "stable", "other", "failed"])
command = st.tuples(st.sampled_from(["promote", "abort"]), targets)
pause = st.tuples(st.just("pause"), st.sampled_from([False] * 3 + [True]))
observe = st.tuples(st.just("observe"), st.booleans(), st.booleans(), st.booleans())
policy_edit = st.tuples(
    st.just("policy"),
    st.sampled_from(POLICIES),
    st.booleans(),
    st.sampled_from([Strategy.BLUE_GREEN] * 8 + [Strategy.CANARY, Strategy.ROLLING]),
)
actions = st.one_of(
    desire, wait, *[analyse] * 6, command, pause, observe, observe, observe, policy_edit
)


@dataclass
class World:
    policy: Policy
    state: RolloutState
    desired: Revision
    now: float
    observed: Observed


def _target(world: World, which: str) -> str:
    s = world.state
    rev = {
        "preview": s.preview,
        "desired": world.desired,
        "stable": s.stable,
        "failed": s.failed_revision,
    }.get(which)
    return rev.id if rev is not None else "0000000000"


def _inputs(world: World, action: tuple[Any, ...]) -> tuple[Analysis | None, Commands]:
    kind = action[0]
    if kind == "desire":
        world.desired = action[1]
    elif kind == "wait":
        world.now += action[1]
    elif kind == "pause":
        world.policy = replace(world.policy, paused=action[1])
    elif kind == "observe":
        stable_ready, preview_ready, revision_known = action[1:]
        stable_rev = world.state.stable.id if revision_known and world.state.stable else None
        world.observed = Observed(stable_ready, True, stable_rev, preview_ready, 3)
    elif kind == "policy":
        base, gate, strategy = action[1:]
        world.policy = replace(
            base, manual_gate=gate, strategy=strategy, paused=world.policy.paused
        )
    elif kind == "analyse":
        checks, waited, on_time = action[1:]
        world.now += waited
        at = world.now if on_time else world.now - 45
        return Analysis(tuple(checks), at), Commands()
    elif kind in ("promote", "abort"):
        return None, Commands(**{kind: _target(world, action[1])})
    return None, Commands()


def _check_invariants(
    world: World, prev: RolloutState, d: Decision, analysis: Analysis | None
) -> None:
    s, policy, reasons = d.state, world.policy, [e.reason for e in d.events]
    blue_green = policy.strategy is Strategy.BLUE_GREEN
    # (a) the active Service moves to the preview only on a due, passing analysis of ready
    # preview pods, or on a human's promote of ready preview pods.
    if "Switched" in reasons:
        assert blue_green
        assert world.observed.preview_ready
        assert d.render.preview_active
        assert not prev.switched
        if not s.promoted_manually:
            assert analysis is not None
            assert analysis_due(policy, prev, world.now)
            assert analysis.verdict is Outcome.PASS
            assert prev.step + 1 >= policy.analyses
        event("switched")
    # (b) the old stable track is never touched before the scale-down delay has passed.
    if s.stable != prev.stable and prev.stable is not None:
        assert "Promoted" in reasons or (
            policy.strategy is Strategy.ROLLING and "Deployed" in reasons
        ), (prev, s, reasons)
        if "Promoted" in reasons and blue_green and prev.switched_at is not None:
            assert world.now >= prev.switched_at + policy.scale_down_delay_s
    # (c) a preview torn down before the switch leaves the active Service where it was;
    # a rollback after it switches back at once to the old, still-running stable pods.
    if "RolledBack" in reasons and blue_green and prev.preview is not None:
        assert d.render.preview is None
        assert not d.render.preview_active
        assert d.render.stable == prev.stable
        event("rolled back after the switch" if prev.switched else "preview torn down")
    # (d) the render plan agrees with the state, and the two strategies never mix.
    if blue_green:
        assert d.render.canary is None
        assert d.render.weight == 0
        assert d.render.preview == s.preview
        assert d.render.preview_active == s.switched
    else:
        assert d.render.preview is None
        assert s.preview is None
    assert d.render.stable == s.stable
    if d.render.preview_active:
        assert d.render.preview is not None
    if s.phase is Phase.FAILED:
        assert s.preview is None
        assert s.canary is None
        assert s.failed_revision == world.desired
    # (e) the persisted form round-trips through strict JSON.
    text = json.dumps(s.to_dict(), allow_nan=False)
    assert RolloutState.from_dict(json.loads(text)) == s


def _play(policy: Policy, steps: list[tuple[Any, ...]]) -> None:
    world = World(policy, RolloutState(), A, 1000.0, Observed(True, True, None, True, 3))
    for action in steps:
        analysis, commands = _inputs(world, action)
        prev = world.state
        d = decide(world.policy, prev, world.desired, world.now, analysis, commands, world.observed)
        _check_invariants(world, prev, d, analysis)
        # (f) re-running with identical inputs is a no-op, and so is a restart.
        again = decide(
            world.policy, d.state, world.desired, world.now, analysis, commands, world.observed
        )
        assert again.state == d.state, (prev, d.state, again.state)
        assert again.render == d.render
        assert again.events == ()
        restored = RolloutState.from_dict(json.loads(json.dumps(prev.to_dict())))
        assert (
            decide(
                world.policy, restored, world.desired, world.now, analysis, commands, world.observed
            )
            == d
        )
        for e in d.events:
            event(e.reason)
        world.state = d.state


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(POLICIES), steps=st.lists(actions, min_size=30, max_size=150))
def test_random_blue_green_sequences_keep_every_invariant(
    policy: Policy, steps: list[tuple[Any, ...]]
) -> None:
    _play(policy, steps)


# One preview analysed again and again, with time passing: switches, commits and completions
# are common here, so (a) to (c) are exercised hard.
preview_life = st.one_of(*[analyse] * 4, observe, wait, wait, command, pause)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(POLICIES), steps=st.lists(preview_life, min_size=5, max_size=60))
def test_one_preview_switches_only_after_passing_analyses(
    policy: Policy, steps: list[tuple[Any, ...]]
) -> None:
    _play(policy, [("wait", 0.0), ("desire", B), *steps])


@settings(max_examples=200, deadline=None)
@given(checks=st.lists(check_results, min_size=1, max_size=3), waited=st.floats(0, 200))
def test_abort_during_the_delay_always_switches_back_to_the_untouched_stable(
    checks: list[Any], waited: float
) -> None:
    policy = POLICIES[0]
    ready = Observed(True, True, None, True, 3)
    s = decide(policy, RolloutState(), A, 0.0, None, Commands(), ready).state
    s = decide(policy, s, B, 100.0, None, Commands(promote=B.id), ready).state
    assert s.switched
    now = 100.0 + min(waited, policy.scale_down_delay_s - 1)
    analysis = Analysis(tuple(checks), now)
    d = decide(policy, s, B, now, analysis, Commands(abort=B.id), ready)
    assert d.render.stable == A
    assert d.render.preview is None
    assert not d.render.preview_active
    assert d.state.stable == A
