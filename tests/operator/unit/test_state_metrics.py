"""The phase, condition and threshold gauges a dashboard and the alerts read, and their
removal once a FlaskService's loop ends."""

from __future__ import annotations

import uuid

from flaskops import metrics
from prometheus_client import REGISTRY


def sample(metric: str, /, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(metric, labels)


def test_phase_conditions_and_bounds_then_forget() -> None:
    ns = f"ns-{uuid.uuid4().hex[:6]}"
    spec = {
        "rollout": {
            "analysis": {
                "successRate": {"min": 99, "abortBelow": 80},
                "latencyP99": {"maxMs": 250},
            }
        }
    }
    status = {
        "phase": "Failed",
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "Stalled", "status": "True"},
            {"type": "Reconciling", "status": "False"},
        ],
    }
    metrics.report_state(ns, "web", spec, status)

    assert sample("flaskops_flaskservice_phase", namespace=ns, name="web", phase="Failed") == 1
    assert sample("flaskops_flaskservice_phase", namespace=ns, name="web", phase="Ready") == 0
    assert (
        sample("flaskops_flaskservice_condition", namespace=ns, name="web", condition="Stalled")
        == 1
    )
    assert (
        sample("flaskops_flaskservice_condition", namespace=ns, name="web", condition="Reconciling")
        == 0
    )
    bound = "flaskops_analysis_threshold"
    assert sample(bound, namespace=ns, name="web", check="successRate", bound="min") == 99
    assert sample(bound, namespace=ns, name="web", check="successRate", bound="abort_below") == 80
    assert sample(bound, namespace=ns, name="web", check="latencyP99", bound="max") == 250
    assert sample(bound, namespace=ns, name="web", check="latencyP99", bound="min") is None

    # Counters exist at 0 before the first rollout, so its increase() is visible.
    rollouts = "flaskops_rollouts_total"
    assert sample(rollouts, namespace=ns, name="web", outcome="rolled_back") == 0
    results = "flaskops_analysis_results_total"
    assert sample(results, namespace=ns, name="web", check="latencyP99", outcome="fail") == 0

    metrics.report_state(ns, "web", spec, {**status, "phase": "Ready"})
    assert sample("flaskops_flaskservice_phase", namespace=ns, name="web", phase="Failed") == 0

    metrics.forget(ns, "web")
    assert sample("flaskops_flaskservice_phase", namespace=ns, name="web", phase="Ready") is None
    assert sample(bound, namespace=ns, name="web", check="successRate", bound="min") is None
    assert sample(rollouts, namespace=ns, name="web", outcome="rolled_back") is None


def test_a_spec_with_bad_analysis_still_reports_its_phase() -> None:
    ns = f"ns-{uuid.uuid4().hex[:6]}"
    spec = {"rollout": {"analysis": {"window": "soon"}}}
    metrics.report_state(ns, "web", spec, {"phase": "Ready", "conditions": []})
    assert sample("flaskops_flaskservice_phase", namespace=ns, name="web", phase="Ready") == 1
