"""kstatus conditions and the rollout view in FlaskService status."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flaskops.observe import TrackStatus
from flaskops.rollout import Commands, Decision, RolloutState
from flaskops.status import build_status

from tests.operator.unit.rollout_helpers import (
    POLICY,
    A,
    B,
    canary_of,
    failing,
    passing,
    run,
    stable_on,
)

STABLE_READY = TrackStatus(True, True, 3, 3, A.id)
STABLE_ROLLING = TrackStatus(True, False, 1, 3, A.id)
CANARY_READY = TrackStatus(True, True, 1, 1, B.id)
ABSENT = TrackStatus(False, False, 0, 0, None)


def status(
    decision: Decision,
    *,
    stable: TrackStatus = STABLE_READY,
    canary: TrackStatus = ABSENT,
    previous: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    now: float = 1_700_000_000.0,
    generation: int = 4,
    traffic: str = "replicas",
) -> dict[str, Any]:
    return build_status(
        generation=generation,
        previous=previous,
        decision=decision,
        stable=stable,
        canary=canary,
        traffic=traffic,
        error=error,
        now=now,
    )


def conds(st: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in st["conditions"]}


def test_done_and_healthy_is_ready() -> None:
    st = status(run(stable_on(A), A, 10.0))
    assert conds(st) == {
        "Ready": ("True", "Ready"),
        "Reconciling": ("False", "Reconciled"),
        "Stalled": ("False", "NotStalled"),
    }
    assert st["observedGeneration"] == 4
    assert all(c["observedGeneration"] == 4 for c in st["conditions"])
    assert st["phase"] == "Ready"
    assert st["stableRevision"] == {"image": A.image, "configHash": A.config_hash, "id": A.id}
    assert st["canaryRevision"] is None
    assert (st["weight"], st["effectiveWeight"]) == (0, 0)
    assert st["conditions"][0]["lastTransitionTime"] == "2023-11-14T22:13:20Z"


def test_stable_pods_not_ready_is_reconciling() -> None:
    st = status(run(stable_on(A), A, 10.0), stable=STABLE_ROLLING)
    assert conds(st)["Ready"] == ("False", "WaitingForStable")
    assert conds(st)["Reconciling"] == ("True", "WaitingForStable")
    assert "1/3 pods ready" in st["conditions"][0]["message"]


def test_a_canary_in_progress_is_reconciling_with_the_rollout_view() -> None:
    d = run(canary_of(B), B, 130.0, analysis=failing(130.0))
    st = status(d, canary=CANARY_READY)
    assert conds(st)["Reconciling"] == ("True", "Progressing")
    assert conds(st)["Ready"] == ("False", "Progressing")
    assert st["canaryRevision"]["id"] == B.id
    assert st["weight"] == 10
    # Replica split: 1 canary pod of 4 ready pods is 25 %, whatever was asked.
    assert st["effectiveWeight"] == 25
    assert st["failedChecks"] == 1
    checks = st["analysis"]["checks"]
    assert [(c["name"], c["outcome"]) for c in checks] == [
        ("successRate", "pass"),
        ("successRate", "fail"),
    ]
    assert st["analysis"]["verdict"] == "fail"


def test_route_based_traffic_reports_the_exact_weight() -> None:
    st = status(run(stable_on(A), B, 100.0), canary=CANARY_READY, traffic="gatewayAPI")
    assert st["effectiveWeight"] == 10


def test_promoting_is_reconciling() -> None:
    s = run(canary_of(B), B, 130.0, analysis=passing(130.0)).state
    d = run(s, B, 160.0, analysis=passing(160.0))
    assert conds(status(d))["Reconciling"] == ("True", "Promoting")


def test_paused_with_a_canary_is_reconciling_but_paused_at_rest_is_ready() -> None:
    paused = replace(POLICY, paused=True)
    held = run(canary_of(B), B, 110.0, policy=paused)
    assert conds(status(held))["Reconciling"] == ("True", "Paused")
    at_rest = run(stable_on(A), A, 110.0, policy=paused)
    assert at_rest.state.phase == "Paused"
    assert conds(status(at_rest))["Ready"] == ("True", "Ready")


def test_a_rolled_back_revision_is_stalled() -> None:
    d = run(canary_of(B), B, 105.0, commands=Commands(abort=B.id))
    st = status(d)
    assert conds(st) == {
        "Ready": ("False", "RolloutFailed"),
        "Reconciling": ("False", "RolloutFailed"),
        "Stalled": ("True", "RolloutFailed"),
    }
    assert "aborted" in st["message"]


def test_a_render_error_is_stalled_with_its_message() -> None:
    d = run(stable_on(A), A, 10.0)
    st = status(d, error=("RenderFailed", "helm: values don't meet the specifications"))
    assert conds(st)["Stalled"] == ("True", "RenderFailed")
    assert conds(st)["Ready"] == ("False", "RenderFailed")
    assert conds(st)["Reconciling"][0] == "False"
    assert st["message"] == "helm: values don't meet the specifications"
    stalled = next(c for c in st["conditions"] if c["type"] == "Stalled")
    assert stalled["message"] == "helm: values don't meet the specifications"


def test_last_transition_time_moves_only_when_the_status_flips() -> None:
    d = run(stable_on(A), A, 10.0)
    first = status(d, stable=STABLE_ROLLING, now=1000.0)
    same = status(d, stable=STABLE_ROLLING, previous=first, now=2000.0)
    assert same["conditions"] == first["conditions"]
    flipped = status(d, previous=same, now=3000.0)
    times = {c["type"]: c["lastTransitionTime"] for c in flipped["conditions"]}
    assert times["Ready"] == "1970-01-01T00:50:00Z"  # False -> True
    assert times["Reconciling"] == "1970-01-01T00:50:00Z"  # True -> False
    assert times["Stalled"] == "1970-01-01T00:16:40Z"  # stayed False


def test_status_is_strict_json_and_carries_the_restorable_rollout_state() -> None:
    d = run(canary_of(B), B, 130.0, analysis=failing(130.0))
    st = json.loads(json.dumps(status(d, canary=CANARY_READY), allow_nan=False))
    assert RolloutState.from_dict(st["rollout"]) == d.state
