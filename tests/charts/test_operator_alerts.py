"""The operator's alerts (charts/flaskops-observability) under promtool: each fires on the
scenario it is for, with the labels and text a person gets, and none fires on a healthy
rollout. Input series are shaped as flaskops/metrics.py exports them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.charts.observability import operator_rules
from tests.support.tools import require

OP = 'namespace="shop",name="orders"'
ALERTS = (
    "FlaskServiceRolloutFailed",
    "FlaskServiceStalled",
    "FlaskopsReconcileErrors",
    "FlaskServiceAnalysisInconclusive",
)
PHASES = ("Ready", "Progressing", "Paused", "Promoting", "RollingBack", "Failed")


def series(name: str, labels: str, values: str) -> dict[str, str]:
    return {"series": f"{name}{{{labels}}}", "values": values}


def phases(**timeline: str) -> list[dict[str, str]]:
    """One flaskops_flaskservice_phase series per phase, 0 unless given."""
    return [
        series("flaskops_flaskservice_phase", f'{OP},phase="{p}"', timeline.get(p, "0x60"))
        for p in PHASES
    ]


def stalled(values: str) -> dict[str, str]:
    return series("flaskops_flaskservice_condition", f'{OP},condition="Stalled"', values)


def results(check: str, **by_outcome: str) -> list[dict[str, str]]:
    return [
        series(
            "flaskops_analysis_results_total",
            f'{OP},check="{check}",outcome="{o}"',
            by_outcome.get(o, "0x60"),
        )
        for o in ("pass", "fail", "inconclusive")
    ]


def rule_annotations(alert: str, labels: dict[str, str]) -> dict[str, str]:
    """The rule's annotation templates with {{ $labels.x }} filled in, as Prometheus does."""
    rule = next(
        r for g in operator_rules()["groups"] for r in g["rules"] if r.get("alert") == alert
    )
    return {
        k: re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], v)
        for k, v in rule["annotations"].items()
    }


def firing(alert: str, **labels: str) -> dict[str, Any]:
    full = {**labels, "severity": "warning"}
    return {"exp_labels": full, "exp_annotations": rule_annotations(alert, full)}


def healthy() -> list[dict[str, str]]:
    """Ready, a canary analysed for 20 minutes (every check passes), promoted, Ready again;
    an old reconcile error whose counter no longer moves."""
    return [
        *phases(Ready="1x10 0x20 1x30", Progressing="0x10 1x18 0x32", Promoting="0x28 1x2 0x30"),
        stalled("0x60"),
        *results("successRate", **{"pass": "0x10 1+1x20 21x30"}),
        *results("latencyP99", **{"pass": "0x10 1+1x20 21x30"}),
        series("flaskops_reconcile_errors_total", 'reason="ApiException"', "3x60"),
    ]


def run_promtool(tmp_path: Path, tests: list[dict[str, Any]]) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(operator_rules()))
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests})
    )
    proc = subprocess.run(
        [require("promtool"), "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def silent(*times: str, but: str = "") -> list[dict[str, Any]]:
    return [
        {"eval_time": t, "alertname": a, "exp_alerts": []}
        for t in times
        for a in ALERTS
        if a != but
    ]


def scenario(
    input_series: list[dict[str, str]],
    alert: str,
    quiet_at: str,
    fires_at: str,
    labels: dict[str, str],
    *also_silent_at: str,
) -> dict[str, Any]:
    """`alert` is quiet at `quiet_at`, fires with `labels` at `fires_at`; the others never."""
    return {
        "interval": "1m",
        "input_series": input_series,
        "alert_rule_test": [
            {"eval_time": quiet_at, "alertname": alert, "exp_alerts": []},
            {"eval_time": fires_at, "alertname": alert, "exp_alerts": [firing(alert, **labels)]},
            *silent(fires_at, *also_silent_at, but=alert),
        ],
    }


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(operator_rules()))
    proc = subprocess.run(
        [require("promtool"), "check", "rules", "rules.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["alert"] for g in operator_rules()["groups"] for r in g["rules"]] == list(ALERTS)


def test_healthy_rollout_fires_nothing(tmp_path: Path) -> None:
    run_promtool(
        tmp_path,
        [
            {
                "interval": "1m",
                "input_series": healthy(),
                "alert_rule_test": silent("5m", "15m", "29m", "45m", "59m"),
            }
        ],
    )


def test_each_alert_fires_on_its_scenario_only(tmp_path: Path) -> None:
    target = {"namespace": "shop", "name": "orders"}
    scenarios = [
        # Canary rolled back at minute 10: phase Failed, and (as the operator reports it)
        # Stalled too; only the rollout alert fires, after its 1m.
        scenario(
            [*phases(Ready="1x10 0x50", Failed="0x10 1x50"), stalled("0x10 1x50")],
            "FlaskServiceRolloutFailed", "10m", "15m", target, "40m",
        ),
        # A spec that does not render from minute 10: Stalled, phase stays Ready.
        scenario(
            [*phases(Ready="1x60"), stalled("0x10 1x50")],
            "FlaskServiceStalled", "15m", "25m", target,
        ),
        # Reconciles fail twice a minute from minute 10 (e.g. RBAC revoked).
        scenario(
            [
                *phases(Ready="1x60"),
                stalled("0x60"),
                series("flaskops_reconcile_errors_total", 'reason="ApiException"', "0x10 0+2x50"),
            ],
            "FlaskopsReconcileErrors", "15m", "25m", {"reason": "ApiException"},
        ),
        # latencyP99 returns no data for the whole canary; successRate passes, and a third
        # check is inconclusive only now and then (it must not fire).
        scenario(
            [
                *phases(Ready="1x5 0x55", Progressing="0x5 1x55"),
                stalled("0x60"),
                *results("successRate", **{"pass": "0x5 1+1x55"}),
                *results("latencyP99", inconclusive="0x5 1+1x55"),
                *results("errors", inconclusive="0x5 1+1x55", **{"pass": "0x5 1+1x55"}),
            ],
            "FlaskServiceAnalysisInconclusive", "8m", "20m", {**target, "check": "latencyP99"},
        ),
    ]  # fmt: skip
    run_promtool(tmp_path, scenarios)
