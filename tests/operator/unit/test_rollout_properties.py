"""Property tests: random sequences of revisions, analyses, commands, pauses, time and
readiness never break the rollout invariants."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from flaskops.rollout import (
    Analysis,
    CheckResult,
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

REVISIONS = (A, B, C, B_NEW_CONFIG)
POLICIES = (
    Policy(steps=(10, 50), interval_s=30, failure_threshold=2, inconclusive_limit=2),
    Policy(
        steps=(5, 25, 60, 100),
        interval_s=10,
        failure_threshold=1,
        inconclusive_limit=3,
        window_s=10,
    ),
    Policy(steps=(50,), interval_s=20, failure_threshold=3, inconclusive_limit=1),
)

# Weighted towards passing checks so that random sequences also reach late steps,
# promotions and completions, not only early rollbacks.
outcomes = st.sampled_from([Outcome.PASS] * 4 + [Outcome.FAIL, Outcome.INCONCLUSIVE])
check_results = st.builds(
    CheckResult,
    name=st.sampled_from(["successRate", "latencyP99", "custom"]),
    query=st.just("q"),
    value=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    threshold=st.just(">= 99"),
    outcome=outcomes,
    severe=st.sampled_from([False] * 4 + [True]),
)
targets = st.sampled_from(["canary", "desired", "stable", "other", "failed"])

desire = st.tuples(st.just("desire"), st.sampled_from(REVISIONS))
wait = st.tuples(st.just("wait"), st.floats(min_value=0, max_value=60))
# (checks, time waited before it, taken now or stale): a stale analysis must be ignored.
analyse = st.tuples(
    st.just("analyse"),
    st.lists(check_results, min_size=1, max_size=3),
    st.floats(min_value=0, max_value=40),
    st.sampled_from([True] * 6 + [False]),
)
command = st.tuples(st.sampled_from(["promote", "abort"]), targets)
pause = st.tuples(st.just("pause"), st.sampled_from([False] * 3 + [True]))
observe = st.tuples(st.just("observe"), st.booleans(), st.booleans(), st.booleans())
policy_edit = st.tuples(
    st.just("policy"),
    st.sampled_from(POLICIES),
    st.booleans(),
    st.sampled_from([Strategy.CANARY] * 5 + [Strategy.ROLLING]),
)
# Repetition weights the mix towards analyses, so that canaries live long enough to reach
# their late steps, gates and promotions.
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
        "canary": s.canary,
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
        stable_ready, canary_ready, revision_known = action[1:]
        stable_rev = world.state.stable.id if revision_known and world.state.stable else None
        world.observed = Observed(stable_ready, canary_ready, stable_rev)
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
    elif kind == "promote":
        return None, Commands(promote=_target(world, action[1]))
    elif kind == "abort":
        return None, Commands(abort=_target(world, action[1]))
    return None, Commands()


def _check_invariants(
    world: World, prev: RolloutState, d: Decision, analysis: Analysis | None
) -> None:
    s, policy, reasons = d.state, world.policy, [e.reason for e in d.events]
    # (a) an automatic promotion follows a due, passing analysis of a ready canary, always.
    if "Promoted" in reasons and not s.promoted_manually:
        assert analysis is not None
        assert analysis_due(policy, prev, world.now)
        assert analysis.at >= (prev.next_analysis_at or 0)
        assert analysis.verdict is Outcome.PASS
        assert world.observed.canary_ready
        assert s.last_analysis is not None
        assert s.last_analysis.verdict is Outcome.PASS
        event("automatic promotion")
    # (b) stable changes only by first deploy, promotion or the rolling strategy.
    if s.stable != prev.stable:
        assert (
            prev.stable is None
            or "Promoted" in reasons
            or (policy.strategy is Strategy.ROLLING and "Deployed" in reasons)
        ), (prev, s, reasons)
    assert reasons.count("Promoted") <= 1
    if "Promoted" in reasons:
        assert s.stable != prev.stable
    # (c) weight is 0 without a canary and one of the steps with one.
    if s.canary is None:
        assert s.weight == 0
        assert d.render.weight == 0
    else:
        assert s.weight in policy.steps
        assert d.render.weight == policy.steps[s.step]
    assert d.render.stable == s.stable
    assert d.render.canary == s.canary
    if s.phase is Phase.FAILED:
        assert s.canary is None
        assert s.failed_revision == world.desired
    assert s.phase is not Phase.ROLLING_BACK
    # (d) the persisted form round-trips through strict JSON.
    text = json.dumps(s.to_dict(), allow_nan=False)
    assert RolloutState.from_dict(json.loads(text)) == s


def _play(policy: Policy, steps: list[tuple[Any, ...]]) -> None:
    world = World(policy, RolloutState(), A, 1000.0, Observed(True, True))
    for action in steps:
        analysis, commands = _inputs(world, action)
        prev = world.state
        d = decide(world.policy, prev, world.desired, world.now, analysis, commands, world.observed)
        _check_invariants(world, prev, d, analysis)
        # (e) re-running with identical inputs is a no-op: level-based and idempotent.
        again = decide(
            world.policy, d.state, world.desired, world.now, analysis, commands, world.observed
        )
        assert again.state == d.state
        assert again.render == d.render
        assert again.events == ()
        # ... and so is a restart: the same decision from the persisted form.
        restored = RolloutState.from_dict(json.loads(json.dumps(prev.to_dict())))
        assert (
            decide(
                world.policy, restored, world.desired, world.now, analysis, commands, world.observed
            )
            == d
        )
        for e in d.events:
            event(e.reason)  # coverage of transitions: pytest --hypothesis-show-statistics
        world.state = d.state


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(POLICIES), steps=st.lists(actions, min_size=30, max_size=150))
def test_random_sequences_keep_every_invariant(
    policy: Policy, steps: list[tuple[Any, ...]]
) -> None:
    _play(policy, steps)


# One canary, analysed again and again: automatic promotions are common here, so property
# (a) is exercised hard rather than by the odd lucky sequence above.
canary_life = st.one_of(*[analyse] * 4, observe, wait, pause, policy_edit)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(POLICIES), steps=st.lists(canary_life, min_size=5, max_size=60))
def test_one_canary_is_promoted_only_after_a_passing_analysis(
    policy: Policy, steps: list[tuple[Any, ...]]
) -> None:
    _play(policy, [("wait", 0.0), ("desire", B), *steps])


@settings(max_examples=200, deadline=None)
@given(verdicts=st.lists(st.sampled_from([Outcome.FAIL, Outcome.INCONCLUSIVE]), min_size=1))
def test_a_canary_that_never_passes_is_rolled_back_within_the_limits(
    verdicts: list[Outcome],
) -> None:
    policy = POLICIES[0]
    s = decide(policy, RolloutState(), A, 0.0, None, Commands(), Observed(True, True)).state
    now = 100.0
    s = decide(policy, s, B, now, None, Commands(), Observed(True, True)).state
    # Worst case: threshold-1 failures and limit-1 inconclusives, then one more of either.
    limit = policy.failure_threshold + policy.inconclusive_limit - 1
    for i, verdict in enumerate(verdicts, start=1):
        # The first analysis of a canary waits for a whole metric window (see Policy.window_s).
        now += policy.interval_s if i > 1 else max(policy.interval_s, policy.window_s)
        analysis = Analysis((CheckResult("c", "q", None, "x", verdict),), now)
        s = decide(policy, s, B, now, analysis, Commands(), Observed(True, True)).state
        assert s.stable == A
        assert s.weight in (0, policy.steps[0])
        if s.phase is Phase.FAILED:
            assert i <= limit
            return
    assert len(verdicts) < limit
