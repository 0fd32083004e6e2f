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


def test_weights_rollouts_and_check_results_are_counted_per_flaskservice() -> None:
    ns = f"ns-{uuid.uuid4().hex[:6]}"
    spec = {"rollout": {"analysis": {"successRate": {"min": 99}}}}
    metrics.report_state(
        ns, "web", spec, {"phase": "Progressing", "weight": 20, "effectiveWeight": 25}
    )
    metrics.SERIES.checked(ns, "web", "successRate", "pass", 99.5)
    metrics.SERIES.checked(ns, "web", "successRate", "fail", 97.0)
    metrics.SERIES.checked(ns, "web", "successRate", "inconclusive", None)
    metrics.SERIES.rollout_finished(ns, "web", "rolled_back")
    metrics.report_state(ns, "other", spec, {"phase": "Ready"})

    web = {"namespace": ns, "name": "web"}
    assert sample("flaskops_canary_weight_percent", **web) == 20
    assert sample("flaskops_canary_effective_weight_percent", **web) == 25
    assert sample("flaskops_analysis_value", **web, check="successRate") == 97.0  # the last
    results = "flaskops_analysis_results_total"
    for outcome in ("pass", "fail", "inconclusive"):
        assert sample(results, **web, check="successRate", outcome=outcome) == 1
    assert sample("flaskops_rollouts_total", **web, outcome="rolled_back") == 1
    assert sample("flaskops_rollouts_total", **web, outcome="promoted") == 0
    # Another FlaskService's series are its own.
    other = {"namespace": ns, "name": "other"}
    assert sample("flaskops_rollouts_total", **other, outcome="rolled_back") == 0
    assert sample(results, **other, check="successRate", outcome="fail") == 0
    assert sample("flaskops_analysis_value", **other, check="successRate") is None
