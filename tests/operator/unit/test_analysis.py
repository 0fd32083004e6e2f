"""The pure half of the analysis: spec parsing, PromQL, classification."""

from __future__ import annotations

import math

import pytest
from flaskops.analysis import (
    LATENCY_P99_QUERY,
    SUCCESS_RATE_QUERY,
    TRAFFIC_QUERY,
    AnalysisSpec,
    CheckSpec,
    classify,
    render_query,
    run_analysis,
)
from flaskops.rollout import Outcome


def test_success_rate_query_is_the_shared_contract() -> None:
    q = render_query(SUCCESS_RATE_QUERY, namespace="shop", service="orders", window="2m")
    sel = 'namespace="shop",service="orders",track="canary"'
    assert q == (
        f'100 * sum(rate(flask_http_request_total{{{sel},status!~"5.."}}[2m]))'
        f" / sum(rate(flask_http_request_total{{{sel}}}[2m]))"
    )


def test_latency_query_is_the_shared_contract() -> None:
    q = render_query(
        LATENCY_P99_QUERY, namespace="shop", service="orders", window="1m", track="stable"
    )
    assert q == (
        "1000 * histogram_quantile(0.99, sum by (le) (rate(flask_http_request_duration_seconds"
        '_bucket{namespace="shop",service="orders",track="stable"}[1m])))'
    )


def test_custom_query_placeholders_are_filled_and_label_values_escaped() -> None:
    q = render_query(
        'sum(x{ns="{{namespace}}", s="{{ service }}", t="{{track}}"}[{{window}}])',
        namespace='a"b',
        service="orders",
        window="30s",
    )
    assert q == 'sum(x{ns="a\\"b", s="orders", t="canary"}[30s])'


def test_builtin_queries_select_the_analysed_revision_when_known() -> None:
    # Right after a promotion the previous canary's series (same track) are still in the
    # rate() window: with its revision the next canary's analysis reads only its own.
    sel = 'namespace="shop",service="orders",track="canary",revision="a1b2c3d4e5"'
    q = render_query(
        SUCCESS_RATE_QUERY, namespace="shop", service="orders", window="1m", revision="a1b2c3d4e5"
    )
    assert q == (
        f'100 * sum(rate(flask_http_request_total{{{sel},status!~"5.."}}[1m]))'
        f" / sum(rate(flask_http_request_total{{{sel}}}[1m]))"
    )
    p99 = render_query(
        LATENCY_P99_QUERY, namespace="shop", service="orders", window="1m", revision="r1"
    )
    assert 'track="canary",revision="r1"}[1m]' in p99
    traffic = render_query(
        TRAFFIC_QUERY,
        namespace="shop",
        service="orders",
        window="1m",
        track="preview",
        revision="r2",
    )
    assert traffic == (
        'sum(rate(flask_http_request_total{namespace="shop",service="orders",'
        'track="preview",revision="r2"}[1m]))'
    )
    assert "revision" not in render_query(
        TRAFFIC_QUERY, namespace="shop", service="orders", window="1m"
    )


def test_custom_checks_may_use_the_revision_placeholder() -> None:
    spec = AnalysisSpec.from_spec(
        {"checks": [{"name": "errs", "query": 'sum(e{revision="{{revision}}"})', "max": 0}]}
    )
    template = spec.checks[0].query
    assert render_query(template, namespace="n", service="s", window="1m", revision='r"1') == (
        'sum(e{revision="r\\"1"})'
    )
    # Unknown: empty, so it matches the series without the label (helm-only installs).
    assert render_query(template, namespace="n", service="s", window="1m") == (
        'sum(e{revision=""})'
    )


def test_spec_reads_builtins_and_custom_checks() -> None:
    spec = AnalysisSpec.from_spec(
        {
            "prometheus": {"url": "http://prom:9090", "timeout": "2s"},
            "window": "2m",
            "successRate": {"min": 99, "abortBelow": 80},
            "latencyP99": {"maxMs": 500, "abortAboveMs": 2000},
            "checks": [{"name": "queue", "query": "max(q{s='{{service}}'})", "max": 10}],
        }
    )
    assert spec.prometheus_url == "http://prom:9090"
    assert (spec.window, spec.timeout_s) == ("2m", 2.0)
    assert [c.name for c in spec.checks] == ["successRate", "latencyP99", "queue"]
    assert spec.checks[0] == CheckSpec("successRate", SUCCESS_RATE_QUERY, min=99, abort_below=80)
    assert spec.checks[1].threshold == "<= 500, abort > 2000"
    assert spec.checks[2].max == 10


def test_spec_without_checks_falls_back_to_the_success_rate() -> None:
    spec = AnalysisSpec.from_spec(None)
    assert [(c.name, c.min) for c in spec.checks] == [("successRate", 99.0)]
    assert spec.prometheus_url is None


@pytest.mark.parametrize(
    ("analysis", "field"),
    [
        ({"window": "1 minute"}, "rollout.analysis.window"),
        ({"checks": [{"name": "x", "query": "up{a='{{pod}}'}"}]}, "checks[0].query"),
        ({"checks": [{"name": "x"}]}, "checks[0]"),
        (
            {"successRate": {"min": 1}, "checks": [{"name": "successRate", "query": "1"}]},
            "unique",
        ),
    ],
)
def test_bad_specs_are_rejected_naming_the_field(analysis: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        AnalysisSpec.from_spec(analysis)


SUCCESS = CheckSpec("successRate", "q", min=99, abort_below=80)
LATENCY = CheckSpec("latencyP99", "q", max=500, abort_above=2000)


@pytest.mark.parametrize(
    ("check", "value", "outcome", "severe"),
    [
        (SUCCESS, 99.5, Outcome.PASS, False),
        (SUCCESS, 99.0, Outcome.PASS, False),
        (SUCCESS, 95.0, Outcome.FAIL, False),
        (SUCCESS, 50.0, Outcome.FAIL, True),
        (LATENCY, 120.0, Outcome.PASS, False),
        (LATENCY, 800.0, Outcome.FAIL, False),
        (LATENCY, math.inf, Outcome.FAIL, True),
        (SUCCESS, None, Outcome.INCONCLUSIVE, False),
        (SUCCESS, math.nan, Outcome.INCONCLUSIVE, False),
        (CheckSpec("between", "q", min=1, max=5), 3.0, Outcome.PASS, False),
        (CheckSpec("between", "q", min=1, max=5), 6.0, Outcome.FAIL, False),
    ],
)
def test_classify(check: CheckSpec, value: float | None, outcome: Outcome, severe: bool) -> None:
    result = classify(check, "promql", value)
    assert (result.outcome, result.severe) == (outcome, severe)
    assert result.query == "promql"
    assert result.threshold == check.threshold


def test_no_value_is_inconclusive_with_a_reason() -> None:
    result = classify(SUCCESS, "q", None, "prometheus unreachable: ConnectionError")
    assert result.detail == "prometheus unreachable: ConnectionError"
    assert result.value is None


def test_without_a_prometheus_url_everything_is_inconclusive() -> None:
    analysis = run_analysis({"rollout": {"analysis": {"successRate": {"min": 99}}}}, "ns", "s", 5.0)
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert analysis.at == 5.0
    assert "no prometheus url" in analysis.checks[0].detail


def test_an_unparsable_spec_gives_an_inconclusive_analysis_not_an_exception() -> None:
    analysis = run_analysis({"rollout": {"analysis": {"window": "soon"}}}, "ns", "s", 5.0)
    assert analysis.verdict is Outcome.INCONCLUSIVE
    assert "rollout.analysis.window" in analysis.checks[0].detail
