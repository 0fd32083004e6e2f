"""Builders shared by the rollout state machine tests."""

from __future__ import annotations

from flaskops.rollout import (
    Analysis,
    CheckResult,
    Commands,
    Decision,
    Observed,
    Outcome,
    Policy,
    Revision,
    RolloutState,
    decide,
)

A = Revision("registry.example/orders:1.0", "cfg-1")
B = Revision("registry.example/orders:1.1", "cfg-1")
C = Revision("registry.example/orders:1.2", "cfg-1")
B_NEW_CONFIG = Revision("registry.example/orders:1.1", "cfg-2")

# window_s == interval_s: every analysis, the first included, is due one interval after the last.
POLICY = Policy(
    steps=(10, 50), interval_s=30, failure_threshold=2, inconclusive_limit=2, window_s=30
)
HEALTHY = Observed(stable_ready=True, canary_ready=True)
NO_COMMANDS = Commands()


def check(outcome: Outcome, severe: bool = False, value: float | None = 99.5) -> CheckResult:
    return CheckResult("successRate", "q", value, ">= 99", outcome, severe)


def passing(at: float) -> Analysis:
    return Analysis((check(Outcome.PASS), check(Outcome.PASS)), at)


def failing(at: float, severe: bool = False) -> Analysis:
    return Analysis((check(Outcome.PASS), check(Outcome.FAIL, severe=severe, value=50)), at)


def inconclusive(at: float) -> Analysis:
    return Analysis((check(Outcome.PASS), check(Outcome.INCONCLUSIVE, value=None)), at)


def run(
    state: RolloutState,
    desired: Revision,
    now: float,
    *,
    policy: Policy = POLICY,
    analysis: Analysis | None = None,
    commands: Commands = NO_COMMANDS,
    observed: Observed = HEALTHY,
) -> Decision:
    return decide(policy, state, desired, now, analysis, commands, observed)


def stable_on(rev: Revision = A, policy: Policy = POLICY) -> RolloutState:
    return run(RolloutState(), rev, 0.0, policy=policy).state


def canary_of(rev: Revision = B, now: float = 100.0, policy: Policy = POLICY) -> RolloutState:
    return run(stable_on(A, policy), rev, now, policy=policy).state


def reasons(d: Decision) -> list[str]:
    return [e.reason for e in d.events]
