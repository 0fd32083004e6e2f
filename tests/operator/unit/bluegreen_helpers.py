"""Builders for the blue/green state machine tests."""

from __future__ import annotations

from flaskops.rollout import (
    Analysis,
    Commands,
    Decision,
    Observed,
    Policy,
    Revision,
    RolloutState,
    Strategy,
    decide,
)

from tests.operator.unit.rollout_helpers import A, B

BG = Policy(
    strategy=Strategy.BLUE_GREEN,
    interval_s=30,
    window_s=30,
    analyses=2,
    failure_threshold=2,
    inconclusive_limit=2,
    scale_down_delay_s=60,
)
READY = Observed(stable_ready=True, preview_ready=True, stable_replicas=4)
PREVIEW_NOT_READY = Observed(stable_ready=True, preview_ready=False, stable_replicas=4)


def bg(
    state: RolloutState,
    desired: Revision,
    now: float,
    *,
    policy: Policy = BG,
    analysis: Analysis | None = None,
    commands: Commands | None = None,
    observed: Observed = READY,
) -> Decision:
    return decide(policy, state, desired, now, analysis, commands or Commands(), observed)


def stable_on(rev: Revision = A, policy: Policy = BG) -> RolloutState:
    return bg(RolloutState(), rev, 0.0, policy=policy).state


def preview_of(rev: Revision = B, now: float = 100.0, policy: Policy = BG) -> RolloutState:
    """Stable on A, the preview of `rev` started at `now` (first analysis due at now + 30)."""
    return bg(stable_on(A, policy), rev, now, policy=policy).state
