"""The operator's own Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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

OUTCOME_BY_REASON = {
    "Promoted": "promoted",
    "PromotedManually": "promoted",
    "RolledBack": "rolled_back",
}
