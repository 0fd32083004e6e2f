"""Canary: stable and canary tracks side by side, and what the operator decided.

The side-by-side queries are the analysis queries of flaskops.analysis (success rate,
p99, traffic) with `$__rate_interval` for the analysis window; the rollout panels read
the operator's gauges (phase, weights, check values and bounds).
"""

from __future__ import annotations

from typing import Any

from dashboards.common import (
    RATE,
    Layout,
    Query,
    annotation,
    label_variable,
    new_dashboard,
    scoped,
    state_timeline,
    timeseries,
)

UID = "flaskops-canary"
SEL = 'namespace="$namespace", service="$service"'
# The operator's series name the FlaskService `name`; its pods' series call it `service`.
OP = 'namespace="$namespace", name="$service"'


def rollouts(outcome: str) -> str:
    return (
        "sum by (outcome) (increase(flaskops_rollouts_total"
        f'{{{OP}, outcome="{outcome}"}}[{RATE}])) > 0'
    )


def build() -> dict[str, Any]:
    d = new_dashboard(
        UID,
        "FlaskService canary",
        "Stable vs canary of one FlaskService during a rollout, and the operator's decisions.",
    )
    d = scoped(d, "flaskops_flaskservice_phase", "name", "FlaskService").with_variable(
        label_variable(
            "check",
            "Analysis check",
            "label_values(flaskops_analysis_threshold"
            '{namespace="$namespace", name="$service"}, check)',
        )
        .multi(True)
        .include_all(True)
    )
    total = f"sum by (track) (rate(flask_http_request_total{{{SEL}}}[{RATE}]))"
    ok = f'sum by (track) (rate(flask_http_request_total{{{SEL}, status!~"5.."}}[{RATE}]))'
    layout = (
        Layout(d)
        .annotate(annotation("Promotions", "green", rollouts("promoted"), "Promoted"))
        .annotate(annotation("Rollbacks", "red", rollouts("rolled_back"), "Rolled back"))
        .row("Stable vs canary")
        .panel(
            timeseries(
                "Success rate by track",
                "Share of non-5xx responses per track: the successRate analysis check.",
                "percent",
                Query(f"100 * {ok} / {total}", "{{track}}"),
                max=100,
            ),
            width=8,
        )
        .panel(
            timeseries(
                "p99 latency by track",
                "99th percentile request duration per track: the latencyP99 analysis check.",
                "s",
                Query(
                    "histogram_quantile(0.99, sum by (le, track) "
                    f"(rate(flask_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))",
                    "{{track}}",
                ),
            ),
            width=8,
        )
        .panel(
            timeseries(
                "Request rate by track",
                "Requests per second each track serves: the traffic split as users see it.",
                "reqps",
                Query(total, "{{track}}"),
            ),
            width=8,
        )
        .row("Rollout")
        .panel(
            state_timeline(
                "FlaskService phase",
                "The phase the operator reports (Ready, Progressing, Paused, Promoting, Failed); "
                "a phase held for any scrape in an interval shows in it.",
                # max_over_time: a Promoting held for one scrape falls between two of a
                # panel's steps; the instant value at each step would hide it.
                Query(
                    f"max by (phase) (max_over_time(flaskops_flaskservice_phase{{{OP}}}[{RATE}]))",
                    "{{phase}}",
                ),
            )
        )
        .panel(
            timeseries(
                "Requested vs effective canary weight",
                "The weight the current step asks for, and the canary's actual share "
                "(in replicas mode: its share of ready pods).",
                "percent",
                Query(f"max(flaskops_canary_weight_percent{{{OP}}})", "requested"),
                Query(f"max(flaskops_canary_effective_weight_percent{{{OP}}})", "effective"),
                max=100,
            )
        )
        .panel(
            timeseries(
                "Check $check against its bounds",
                "Last value of the analysis check with its configured bounds (min, max, "
                "abort_below, abort_above), in the check's own unit; one panel per check.",
                "short",
                Query(f'max(flaskops_analysis_value{{{OP}, check=~"$check"}})', "value"),
                Query(
                    f'max by (bound) (flaskops_analysis_threshold{{{OP}, check=~"$check"}})',
                    "{{bound}}",
                ),
            )
            .repeat("check")
            .repeat_direction("h")
            .max_per_row(2)
        )
        .panel(
            timeseries(
                "Analysis results by outcome",
                "Check results per interval: pass, fail, inconclusive.",
                "short",
                Query(
                    "sum by (check, outcome) "
                    f"(increase(flaskops_analysis_results_total{{{OP}}}[{RATE}]))",
                    "{{check}} {{outcome}}",
                ),
                stack=True,
            )
        )
    )
    return layout.to_dict()
