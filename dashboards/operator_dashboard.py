"""Operator: how the flaskops operator itself is doing, across every FlaskService."""

from __future__ import annotations

from typing import Any

from dashboards.common import (
    RATE,
    Layout,
    Query,
    datasource_variable,
    label_variable,
    new_dashboard,
    stat,
    timeseries,
)

UID = "flaskops-operator"
NS = 'namespace=~"$namespace"'


def build() -> dict[str, Any]:
    d = new_dashboard(
        UID, "flaskops operator", "Reconciles, helm renders, rollouts and FlaskServices by phase."
    )
    d = d.with_variable(datasource_variable()).with_variable(
        label_variable(
            "namespace",
            "Namespace",
            "label_values(flaskops_flaskservice_phase, namespace)",
        )
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )
    layout = (
        Layout(d)
        .row("FlaskServices")
        .panel(
            stat(
                "FlaskServices by phase",
                "How many FlaskServices are in each phase now.",
                "short",
                Query(f"sum by (phase) (flaskops_flaskservice_phase{{{NS}}})", "{{phase}}"),
            )
        )
        .panel(
            timeseries(
                "Rollouts by outcome",
                "Finished rollouts per interval: promoted or rolled back.",
                "short",
                Query(
                    f"sum by (outcome) (increase(flaskops_rollouts_total{{{NS}}}[{RATE}]))",
                    "{{outcome}}",
                ),
                stack=True,
            )
        )
        .row("Reconciles")
        .panel(
            timeseries(
                "Reconcile rate",
                "Completed reconciles per second, and those that raised an error.",
                "ops",
                Query(f"sum(rate(flaskops_reconcile_duration_seconds_count[{RATE}]))", "ok"),
                Query(
                    f"sum by (reason) (rate(flaskops_reconcile_errors_total[{RATE}]))",
                    "error {{reason}}",
                ),
            ),
            width=8,
        )
        .panel(
            timeseries(
                "Reconcile duration",
                "p50 and p99 of one reconcile (render, apply, status), from the histogram.",
                "s",
                Query(
                    "histogram_quantile(0.5, sum by (le) "
                    f"(rate(flaskops_reconcile_duration_seconds_bucket[{RATE}])))",
                    "p50",
                ),
                Query(
                    "histogram_quantile(0.99, sum by (le) "
                    f"(rate(flaskops_reconcile_duration_seconds_bucket[{RATE}])))",
                    "p99",
                ),
            ),
            width=8,
        )
        .panel(
            timeseries(
                "Helm renders",
                "helm template subprocesses per second (each is a few hundred ms of CPU).",
                "ops",
                Query(f"sum(rate(flaskops_helm_renders_total[{RATE}]))", "renders"),
            ),
            width=8,
        )
    )
    return layout.to_dict()
