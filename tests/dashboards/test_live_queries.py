"""Every panel query of every dashboard, its variables substituted as Grafana would, returns
at least one series with the labels its legend uses, over one real canary rollout
(tests/dashboards/live.py). A query that returns nothing fails naming its panel."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.live import Run, canary_rollout
from tests.dashboards.model import (
    DASHBOARDS,
    Target,
    annotations,
    legend_labels,
    load,
    targets,
    variables,
)
from tests.dashboards.pictures import draw_all
from tests.support.kube import Helm, Kubectl
from tests.support.prometheus import Prometheus
from tests.support.tools import REPO

CRD_FILE = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"

pytestmark = pytest.mark.xdist_group("dashboards-live")

TARGETS = [t for path in DASHBOARDS for t in targets(path.name, load(path))]
ANNOTATIONS = [(path.name, a) for path in DASHBOARDS for a in annotations(load(path))]
VARIABLES = [
    (path.name, v) for path in DASHBOARDS for v in variables(load(path)) if v["type"] == "query"
]


@pytest.fixture(scope="module")
def run(
    kubectl: Kubectl,
    helm: Helm,
    prometheus: Prometheus,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Run]:
    namespace = f"dashboards-{uuid.uuid4().hex[:5]}"
    kubectl.run("create", "namespace", namespace)
    try:
        # The operator's CRD, as the operator suites install it.
        kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
        kubectl.wait_established("flaskservices.flaskops.io")
        recorded = canary_rollout(
            kubectl, helm, prometheus, namespace, tmp_path_factory.mktemp("rollout")
        )
        pictures = os.environ.get("FLASKOPS_PICTURES_DIR")
        if pictures:
            draw_all(recorded, Path(pictures))
        yield recorded
    finally:
        kubectl.run("delete", "namespace", namespace, "--wait=false", check=False)


def choices(run: Run, dashboard: str) -> list[dict[str, str]]:
    """One assignment per value of each further variable (e.g. $check, which repeats a panel
    per analysis check): every copy of a repeated panel must show data."""
    out: list[dict[str, str]] = [{}]
    for v in variables(load(REPO / "dashboards" / dashboard)):
        if v["type"] == "query" and v["name"] not in {"namespace", "service"}:
            values = run.offered(v)
            assert values, f"{dashboard}: ${v['name']} offers nothing"
            out = [{**c, v["name"]: value} for c in out for value in values]
    return out


def assert_returns_legend_labels(
    run: Run, where: str, expr: str, legend: str, chosen: dict[str, str] | None = None
) -> None:
    promql = run.substitute(expr, chosen)
    result = run.query_range(promql)
    assert result, f"{where}: no series over the rollout for {promql}"
    wanted = legend_labels(legend)
    labelled = [s["metric"] for s in result if wanted <= set(s["metric"])]
    assert labelled, f"{where}: no series has the legend's labels {sorted(wanted)}: {result[:3]}"


@pytest.mark.parametrize(
    "target", TARGETS, ids=lambda t: f"{t.dashboard}:{t.panel['title']}:{t.ref_id}"
)
def test_panel_query_returns_series_with_legend_labels(run: Run, target: Target) -> None:
    for chosen in choices(run, target.dashboard):
        where = f"{target.where} {chosen}" if chosen else target.where
        assert_returns_legend_labels(run, where, target.expr, target.legend, chosen)


@pytest.mark.parametrize(
    ("dashboard", "annotation"), ANNOTATIONS, ids=lambda x: x if isinstance(x, str) else x["name"]
)
def test_annotation_marks_the_rollout(run: Run, dashboard: str, annotation: dict[str, str]) -> None:
    """Promotions and rollbacks each happened once in the run: each query marks it."""
    assert_returns_legend_labels(
        run, f"{dashboard}: annotation {annotation['name']!r}", annotation["expr"], "{{outcome}}"
    )


@pytest.mark.parametrize(
    ("dashboard", "variable"), VARIABLES, ids=lambda x: x if isinstance(x, str) else x["name"]
)
def test_variable_offers_the_rollouts_values(
    run: Run, dashboard: str, variable: dict[str, str]
) -> None:
    values = run.offered(variable)
    expected = {
        "namespace": [run.namespace],
        "service": [run.service],
        "check": ["latencyP99", "successRate"],  # the rollout's two analysis checks
    }[variable["name"]]
    assert set(expected) <= set(values), f"{dashboard}: ${variable['name']} offers {values}"


def panel_series(run: Run, dashboard: str, title: str, ref_id: str = "A") -> list[dict[str, Any]]:
    target = next(
        t
        for t in TARGETS
        if (t.dashboard, t.panel["title"], t.ref_id) == (dashboard, title, ref_id)
    )
    return run.query_range(run.substitute(target.expr))


def values_by(series: list[dict[str, Any]], label: str) -> dict[str, list[float]]:
    """Each series' values, without NaN: a ratio over a window in which a track served no
    request (seen once on a loaded machine) is 0/0, which Grafana draws as a gap."""
    return {
        s["metric"].get(label, ""): [float(v) for _, v in s["values"] if v != "NaN"] for s in series
    }


def test_canary_dashboard_shows_what_happened(run: Run) -> None:
    """Not only data: the rollout's story. The bad canary's success rate fell to about 50%
    while stable stayed at 100, the weight reached the last step, and the phase ended Failed."""
    success = values_by(panel_series(run, "canary.json", "Success rate by track"), "track")
    assert min(success["canary"]) < 80, success["canary"]
    assert min(success["stable"]) == pytest.approx(100)
    weights = panel_series(run, "canary.json", "Requested vs effective canary weight")
    assert max(float(v) for _, v in weights[0]["values"]) == 50
    phases = values_by(panel_series(run, "canary.json", "FlaskService phase"), "phase")
    assert phases["Failed"][-1] == 1
    assert set(phases) == {"Ready", "Progressing", "Paused", "Promoting", "RollingBack", "Failed"}
    # Every phase Prometheus scraped shows, however briefly it was held. Promoting may
    # last less than one scrape (its stable pods are ready at once): the annotation test
    # is what shows the promotion then.
    scraped = scraped_phases(run)
    assert {"Ready", "Progressing", "Failed"} <= scraped, scraped
    assert {p for p, values in phases.items() if max(values) == 1} == scraped


def scraped_phases(run: Run) -> set[str]:
    """The phases any raw sample of the run recorded as current."""
    window = f"{int(run.end - run.start) + 1}s"
    selector = f'namespace="{run.namespace}", name="{run.service}"'
    result = run.prometheus.query(
        f"max by (phase) (max_over_time(flaskops_flaskservice_phase{{{selector}}}[{window}]"
        f" @ {run.end})) == 1"
    )
    return {r["metric"]["phase"] for r in result}


def test_operator_dashboard_shows_both_outcomes_and_the_rbac_errors(run: Run) -> None:
    outcomes = values_by(panel_series(run, "operator.json", "Rollouts by outcome"), "outcome")
    assert max(outcomes["promoted"]) > 0
    assert max(outcomes["rolled_back"]) > 0
    errors = values_by(panel_series(run, "operator.json", "Reconcile rate", "B"), "reason")
    # The RoleBinding was removed: the operator's applies and status writes were forbidden,
    # and the error line rises above zero (a series merely present could stay flat at 0).
    assert max(errors.get("ForbiddenError", [0.0])) > 0, errors
