"""The operator's own Prometheus metrics.

The per-FlaskService series (phase, conditions, weights, analysis values, bounds and the
rollout and check counters) are built at scrape time from one small record per
FlaskService, the pattern prometheus_client documents for exporting the state of many
objects. A labelled child metric per series cost about 12 KiB per FlaskService (17 series,
each with its own lock and value object): 12 MiB of the operator's memory at 1,000.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

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
HELM_RENDERS = Counter("flaskops_helm_renders_total", "helm template subprocesses run.")

OUTCOME_BY_REASON = {
    "Promoted": "promoted",
    "PromotedManually": "promoted",
    "RolledBack": "rolled_back",
}
OUTCOMES = tuple(sorted(set(OUTCOME_BY_REASON.values())))
BOUNDS = ("min", "max", "abort_below", "abort_above")
SERVICE = ["namespace", "name"]


@dataclass(slots=True)
class _Series:
    """What one FlaskService's series show. Counters start at 0: a series born at 1 has no
    increase() to show, so the first promotion or rollback would be invisible to
    rate-based panels and alerts."""

    phase: str = ""
    true_conditions: frozenset[str] = frozenset()
    weight: float = 0.0
    effective_weight: float = 0.0
    thresholds: tuple[tuple[str, str, float], ...] = ()
    values: dict[str, float] = field(default_factory=dict)
    rollouts: Tally[str] = field(default_factory=Tally)
    results: Tally[tuple[str, str]] = field(default_factory=Tally)


class FlaskServiceSeries(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()  # reconciles run in threads; scrapes in another
        self._series: dict[tuple[str, str], _Series] = {}

    def _of(self, ns: str, name: str) -> _Series:
        return self._series.setdefault((ns, name), _Series())

    def report_state(
        self, ns: str, name: str, spec: Mapping[str, Any], status: Mapping[str, Any]
    ) -> None:
        """Phase, conditions, weights and check bounds of one FlaskService, after its
        reconcile."""
        conditions = status.get("conditions") or []
        true = frozenset(c.get("type") for c in conditions if c.get("status") == "True")
        try:
            analysis = AnalysisSpec.from_spec((spec.get("rollout") or {}).get("analysis"))
            checks = analysis.checks
        except (ValueError, TypeError, AttributeError):
            checks = ()  # a bad analysis spec is the reconcile's to report; no bounds to show
        thresholds = tuple(
            (c.name, bound, float(getattr(c, bound)))
            for c in checks
            for bound in BOUNDS
            if getattr(c, bound) is not None
        )
        with self._lock:
            s = self._of(ns, name)
            s.phase = str(status.get("phase") or "")
            s.true_conditions = true & frozenset(CONDITION_TYPES)
            s.weight = float(status.get("weight", 0) or 0)
            s.effective_weight = float(status.get("effectiveWeight", 0) or 0)
            s.thresholds = thresholds
            for outcome in OUTCOMES:
                s.rollouts[outcome] += 0
            for check in checks:
                for result in Outcome:
                    s.results[check.name, str(result)] += 0

    def rollout_finished(self, ns: str, name: str, outcome: str) -> None:
        with self._lock:
            self._of(ns, name).rollouts[outcome] += 1

    def checked(self, ns: str, name: str, check: str, outcome: str, value: object) -> None:
        """One analysis check's result, counted once per analysis."""
        with self._lock:
            s = self._of(ns, name)
            if isinstance(value, int | float):
                s.values[check] = float(value)
            s.results[check, outcome] += 1

    def forget(self, ns: str, name: str) -> None:
        """Drop a FlaskService's series once it is gone, so no alert fires for it."""
        with self._lock:
            self._series.pop((ns, name), None)

    def collect(self) -> Iterator[Metric]:
        phase = GaugeMetricFamily(
            "flaskops_flaskservice_phase",
            "1 for the FlaskService's current phase, 0 for the others.",
            labels=[*SERVICE, "phase"],
        )
        condition = GaugeMetricFamily(
            "flaskops_flaskservice_condition",
            "1 when the FlaskService's condition (Ready, Reconciling, Stalled) is True, else 0.",
            labels=[*SERVICE, "condition"],
        )
        weight = GaugeMetricFamily(
            "flaskops_canary_weight_percent", "Requested canary weight.", labels=SERVICE
        )
        effective = GaugeMetricFamily(
            "flaskops_canary_effective_weight_percent",
            "Canary share actually achieved (replica mode: share of ready pods).",
            labels=SERVICE,
        )
        value = GaugeMetricFamily(
            "flaskops_analysis_value",
            "Last value of each analysis check.",
            labels=[*SERVICE, "check"],
        )
        threshold = GaugeMetricFamily(
            "flaskops_analysis_threshold",
            "Configured bounds of each analysis check (bound: min, max, abort_below, abort_above).",
            labels=[*SERVICE, "check", "bound"],
        )
        rollouts = CounterMetricFamily(
            "flaskops_rollouts",
            "Finished rollouts by outcome (promoted, rolled_back).",
            labels=[*SERVICE, "outcome"],
        )
        results = CounterMetricFamily(
            "flaskops_analysis_results",
            "Analysis check results by outcome (pass, fail, inconclusive).",
            labels=[*SERVICE, "check", "outcome"],
        )
        with self._lock:
            for (ns, name), s in self._series.items():
                # One series per phase (1 = current), as kube-state-metrics does for pod
                # phases: a dashboard counts FlaskServices by phase and an alert selects
                # one phase, with no string-valued metric.
                for p in Phase:
                    phase.add_metric([ns, name, str(p)], 1.0 if s.phase == p else 0.0)
                for c in CONDITION_TYPES:
                    condition.add_metric([ns, name, c], 1.0 if c in s.true_conditions else 0.0)
                weight.add_metric([ns, name], s.weight)
                effective.add_metric([ns, name], s.effective_weight)
                for check, v in s.values.items():
                    value.add_metric([ns, name, check], v)
                for check, bound, v in s.thresholds:
                    threshold.add_metric([ns, name, check, bound], v)
                for outcome, n in s.rollouts.items():
                    rollouts.add_metric([ns, name, outcome], n)
                for (check, outcome), n in s.results.items():
                    results.add_metric([ns, name, check, outcome], n)
        yield from (phase, condition, weight, effective, value, threshold, rollouts, results)


SERIES = FlaskServiceSeries()
REGISTRY.register(SERIES)
report_state = SERIES.report_state
forget = SERIES.forget
