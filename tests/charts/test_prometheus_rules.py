"""The chart's RED alerts are valid Prometheus rules and fire on the metric names and labels
the services really emit (promtool 3.x, built by `make tools`)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.charts.chart import FULLNAME, NAMESPACE, render
from tests.support.tools import require

SERIES = f'namespace="{NAMESPACE}",service="{FULLNAME}",track="stable",method="GET",path="/orders"'
LABELS = {"namespace": NAMESPACE, "service": FULLNAME, "severity": "warning"}


def rules(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(render(values).get("PrometheusRule")["spec"])


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def alert(description: str, summary: str) -> dict[str, Any]:
    return {
        "exp_labels": LABELS,
        "exp_annotations": {"summary": summary, "description": description},
    }


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    extra = {"alert": "OrdersBacklog", "expr": "orders_backlog > 100", "for": "5m"}
    spec = rules({"metrics": {"prometheusRule": {"additionalRules": [extra]}}})
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec))
    proc = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [r["alert"] for r in spec["groups"][0]["rules"]]
    assert names == [
        "FlaskServiceHighErrorRatio",
        "FlaskServiceHighLatencyP99",
        "FlaskServiceNoTraffic",
        "OrdersBacklog",
    ]


def test_alerts_fire_on_bad_traffic_and_stay_quiet_on_good(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules()))
    ok_latency = [
        {
            "series": f'flask_http_request_duration_seconds_bucket{{{SERIES},status="200",le="0.1"}}',
            "values": "0+100x40",
        },
        {
            "series": f'flask_http_request_duration_seconds_bucket{{{SERIES},status="200",le="+Inf"}}',
            "values": "0+100x40",
        },
    ]
    slow_latency = [
        {
            "series": f'flask_http_request_duration_seconds_bucket{{{SERIES},status="200",le="0.5"}}',
            "values": "0+0x40",
        },
        {
            "series": f'flask_http_request_duration_seconds_bucket{{{SERIES},status="200",le="1"}}',
            "values": "0+100x40",
        },
        {
            "series": f'flask_http_request_duration_seconds_bucket{{{SERIES},status="200",le="+Inf"}}',
            "values": "0+100x40",
        },
    ]
    ok = {"series": f'flask_http_request_total{{{SERIES},status="200"}}', "values": "0+90x40"}
    failing = {"series": f'flask_http_request_total{{{SERIES},status="500"}}', "values": "0+10x40"}
    idle = {"series": f'flask_http_request_total{{{SERIES},status="200"}}', "values": "500x40"}
    quiet = ["FlaskServiceHighErrorRatio", "FlaskServiceHighLatencyP99", "FlaskServiceNoTraffic"]
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [ok, *ok_latency],
                "alert_rule_test": [
                    {"eval_time": "30m", "alertname": a, "exp_alerts": []} for a in quiet
                ],
            },
            {
                "interval": "1m",
                "input_series": [ok, failing, *ok_latency],
                "alert_rule_test": [
                    {
                        "eval_time": "20m",
                        "alertname": "FlaskServiceHighErrorRatio",
                        "exp_alerts": [
                            alert(
                                f"10% of the requests to {FULLNAME} in {NAMESPACE} failed over 5m (threshold 0.05).",
                                f"{FULLNAME} returns too many 5xx responses",
                            )
                        ],
                    }
                ],
            },
            {
                "interval": "1m",
                "input_series": [ok, *slow_latency],
                "alert_rule_test": [
                    {
                        "eval_time": "20m",
                        "alertname": "FlaskServiceHighLatencyP99",
                        "exp_alerts": [
                            alert(
                                f"p99 latency of {FULLNAME} in {NAMESPACE} is 995ms (threshold 0.5s).",
                                f"{FULLNAME} p99 latency is high",
                            )
                        ],
                    }
                ],
            },
            {
                "interval": "1m",
                "input_series": [idle],
                "alert_rule_test": [
                    {
                        "eval_time": "30m",
                        "alertname": "FlaskServiceNoTraffic",
                        "exp_alerts": [
                            alert(
                                f"No request reached {FULLNAME} in {NAMESPACE} for 15m: is it scraped, and is traffic routed to it?",
                                f"{FULLNAME} receives no requests",
                            )
                        ],
                    }
                ],
            },
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    proc = promtool("test", "rules", "tests.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_thresholds_are_values() -> None:
    spec = rules(
        {
            "metrics": {
                "prometheusRule": {
                    "errorRatio": {"threshold": 0.2, "for": "1m"},
                    "latency": {"enabled": False},
                    "window": "2m",
                }
            }
        }
    )
    by_name = {r["alert"]: r for r in spec["groups"][0]["rules"]}
    assert "FlaskServiceHighLatencyP99" not in by_name
    error = by_name["FlaskServiceHighErrorRatio"]
    assert error["expr"].rstrip().endswith("> 0.2")
    assert "[2m]" in error["expr"]
    assert error["for"] == "1m"


def test_a_rate_window_needs_two_scrapes_inside_it_in_prometheus_3(tmp_path: Path) -> None:
    """Prometheus 3's range selectors leave out the sample at the window's start (2.x kept
    it): `rate(x[30s])` over 30s scrapes holds one sample and returns nothing, which is why
    docs/rollouts.md asks for an analysis window of two scrape intervals or more."""
    series = 'flask_http_request_total{status="200"}'
    case = {
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "30s",
                "input_series": [{"series": series, "values": "0+30x10"}],
                "promql_expr_test": [
                    {
                        "expr": "rate(flask_http_request_total[1m])",
                        "eval_time": "4m",
                        "exp_samples": [{"labels": '{status="200"}', "value": 1}],
                    },
                    {
                        "expr": "rate(flask_http_request_total[30s])",
                        "eval_time": "4m",
                        "exp_samples": [],
                    },
                ],
            }
        ],
    }
    (tmp_path / "window.test.yaml").write_text(yaml.safe_dump(case))
    proc = promtool("test", "rules", "window.test.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
