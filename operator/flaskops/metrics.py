"""The operator's own Prometheus metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from flaskops.analysis import AnalysisSpec
from flaskops.rollout.types import Outcome, Phase
from flaskops.status import CONDITION_TYPES

RECONCILE_SECONDS = Histogram(
    "flaskops_reconcile_duration_seconds",
    "Time spent in one reconcile of a FlaskService.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RECONCILE_ERRORS = Counter(
    "flaskops_reconcile_errors_total", "Reconciles that ended in an error.", ["reason"]
)
ROLLOUTS = Counter(
    "flaskops_rollouts_total",
    "Finished rollouts by outcome (promoted, rolled_back).",
    ["namespace", "name", "outcome"],
)
CANARY_WEIGHT = Gauge(
    "flaskops_canary_weight_percent", "Requested canary weight.", ["namespace", "name"]
)
EFFECTIVE_WEIGHT = Gauge(
    "flaskops_canary_effective_weight_percent",
    "Canary share actually achieved (replica mode: share of ready pods).",
    ["namespace", "name"],
)
ANALYSIS_VALUE = Gauge(
    "flaskops_analysis_value", "Last value of each analysis check.", ["namespace", "name", "check"]
)
ANALYSIS_RESULTS = Counter(
    "flaskops_analysis_results_total",
    "Analysis check results by outcome (pass, fail, inconclusive).",
    ["namespace", "name", "check", "outcome"],
)
HELM_RENDERS = Counter("flaskops_helm_renders_total", "helm template subprocesses run.")
# One series per phase (1 = current), as kube-state-metrics does for pod phases: a
# dashboard counts FlaskServices by phase and an alert selects one phase, with no
# string-valued metric.
PHASE = Gauge(
    "flaskops_flaskservice_phase",
    "1 for the FlaskService's current phase, 0 for the others.",
    ["namespace", "name", "phase"],
)
CONDITION = Gauge(
    "flaskops_flaskservice_condition",
    "1 when the FlaskService's condition (Ready, Reconciling, Stalled) is True, else 0.",
    ["namespace", "name", "condition"],
)
ANALYSIS_THRESHOLD = Gauge(
    "flaskops_analysis_threshold",
    "Configured bounds of each analysis check (bound: min, max, abort_below, abort_above).",
    ["namespace", "name", "check", "bound"],
)

OUTCOME_BY_REASON = {
    "Promoted": "promoted",
    "PromotedManually": "promoted",
    "RolledBack": "rolled_back",
}


def report_state(ns: str, name: str, spec: Mapping[str, Any], status: Mapping[str, Any]) -> None:
    """Phase, conditions and check bounds of one FlaskService, after its reconcile.

    Its counters are created at 0 here: a series born at 1 has no increase() to show, so
    the first promotion or rollback of a FlaskService would be invisible to rate-based
    panels and alerts.
    """
    for outcome in set(OUTCOME_BY_REASON.values()):
        ROLLOUTS.labels(ns, name, outcome)
    for phase in Phase:
        PHASE.labels(ns, name, str(phase)).set(1 if status.get("phase") == phase else 0)
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    for condition in CONDITION_TYPES:
        CONDITION.labels(ns, name, condition).set(1 if condition in true else 0)
    try:
        analysis = AnalysisSpec.from_spec((spec.get("rollout") or {}).get("analysis"))
    except (ValueError, TypeError, AttributeError):
        return  # a bad analysis spec is the reconcile's to report; no bounds to show
    for check in analysis.checks:
        for result in Outcome:
            ANALYSIS_RESULTS.labels(ns, name, check.name, str(result))
        for bound in ("min", "max", "abort_below", "abort_above"):
            value = getattr(check, bound)
            if value is not None:
                ANALYSIS_THRESHOLD.labels(ns, name, check.name, bound).set(value)


def forget(ns: str, name: str) -> None:
    """Drop a FlaskService's series once its loop ends, so no alert fires for a deleted one."""
    for series in (
        CANARY_WEIGHT,
        EFFECTIVE_WEIGHT,
        ANALYSIS_VALUE,
        ANALYSIS_THRESHOLD,
        PHASE,
        CONDITION,
        ROLLOUTS,
        ANALYSIS_RESULTS,
    ):
        series.remove_by_labels({"namespace": ns, "name": name})
