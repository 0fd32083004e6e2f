"""The rollout state machine (canary and blue/green): pure, no I/O, no clock (`now` is an argument).

`decide()` takes the rollout policy (spec.rollout), the persisted state (status.rollout),
the desired revision, the time, an optional analysis, human commands and what was observed
of the children, and returns the next state, what to render, the events to record and
when to be called again. docs/rollouts.md has the transition table.
"""

from flaskops.rollout.bluegreen import prepromotion_due
from flaskops.rollout.machine import MIN_REQUEUE_S, PROMOTING_POLL_S, analysis_due, decide
from flaskops.rollout.state import Decision, RolloutState
from flaskops.rollout.types import (
    Analysis,
    CheckResult,
    Commands,
    Event,
    EventType,
    Observed,
    Outcome,
    Phase,
    Policy,
    RenderPlan,
    Revision,
    Strategy,
    parse_duration,
)

__all__ = [
    "MIN_REQUEUE_S",
    "PROMOTING_POLL_S",
    "Analysis",
    "CheckResult",
    "Commands",
    "Decision",
    "Event",
    "EventType",
    "Observed",
    "Outcome",
    "Phase",
    "Policy",
    "RenderPlan",
    "Revision",
    "RolloutState",
    "Strategy",
    "analysis_due",
    "decide",
    "parse_duration",
    "prepromotion_due",
]
