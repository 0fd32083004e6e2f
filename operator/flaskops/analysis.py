"""Canary analysis against Prometheus: PromQL for the checks, and their classification.

Pure part: `AnalysisSpec.from_spec` reads spec.rollout.analysis, `render_query` fills the
placeholders {{namespace}}, {{service}}, {{track}}, {{revision}} and {{window}}, `classify`
turns a value into a CheckResult. The I/O edge is `query_prometheus` / `run_analysis`, which never raise:
anything short of one clean number is "no value", and no value is inconclusive.

The built-in queries are the project's shared vocabulary (dashboards and alert rules use the
same): success rate in percent of non-5xx responses, and p99 latency in milliseconds, both
over the series labelled with the service's namespace, service and track, and with the
analysed revision when it is known. The revision matters right after a promotion: the next
canary's first analysis would otherwise also read the previous canary's samples (same
track="canary", still inside the rate() window while its pods drain or before the new pods
are scraped) and could pass a faulty release on its predecessor's traffic. The operator labels
every pod with flaskops.io/revision, which the chart's monitors relabel to `revision`.

Before any check, run_analysis asks for the canary's request rate: when Prometheus cannot
be reached, or the canary served no traffic in the window, every check is inconclusive. A
custom check such as "errors per second <= 0" would otherwise pass on a canary nobody calls.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from flaskops.rollout.types import Analysis, CheckResult, Outcome, parse_duration

# Dropped from the built-in queries when the revision is not known (a direct call without
# one): they then select by track alone, as helm-only installs (no revision label) need.
_REVISION_MATCHER = ',revision="{{revision}}"'
_SELECTOR = 'namespace="{{namespace}}",service="{{service}}",track="{{track}}"' + _REVISION_MATCHER
SUCCESS_RATE_QUERY = (
    f'100 * sum(rate(flask_http_request_total{{{_SELECTOR},status!~"5.."}}[{{{{window}}}}]))'
    f" / sum(rate(flask_http_request_total{{{_SELECTOR}}}[{{{{window}}}}]))"
)
LATENCY_P99_QUERY = (
    "1000 * histogram_quantile(0.99, sum by (le) "
    f"(rate(flask_http_request_duration_seconds_bucket{{{_SELECTOR}}}[{{{{window}}}}])))"
)
TRAFFIC_QUERY = f"sum(rate(flask_http_request_total{{{_SELECTOR}}}[{{{{window}}}}]))"

PLACEHOLDERS = frozenset({"namespace", "service", "track", "revision", "window"})
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# Prometheus durations: one or more number+unit pairs, largest unit first (1h30m, 90s).
_PROM_DURATION = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
DEFAULT_SUCCESS_RATE_MIN = 99.0


@dataclass(frozen=True)
class CheckSpec:
    """One check: a PromQL template and its bounds. abort_* are the fast-fail bounds."""

    name: str
    query: str
    min: float | None = None
    max: float | None = None
    abort_below: float | None = None
    abort_above: float | None = None

    @property
    def threshold(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.abort_below is not None:
            parts.append(f"abort < {self.abort_below:g}")
        if self.abort_above is not None:
            parts.append(f"abort > {self.abort_above:g}")
        return ", ".join(parts) or "any value"


@dataclass(frozen=True)
class AnalysisSpec:
    prometheus_url: str | None
    checks: tuple[CheckSpec, ...]
    window: str = "1m"
    timeout_s: float = 5.0

    @classmethod
    def from_spec(cls, analysis: Mapping[str, Any] | None) -> AnalysisSpec:
        """Read spec.rollout.analysis; raises ValueError naming the field on bad input.

        Without any check configured, the built-in success rate (>= 99 %) is used: a canary
        is never promoted on no evidence at all.
        """
        analysis = analysis or {}
        window = str(analysis.get("window", "1m"))
        if not window or not _PROM_DURATION.match(window):
            raise ValueError(f"rollout.analysis.window: {window!r} is not a duration like 1m")
        prometheus = analysis.get("prometheus") or {}
        checks: list[CheckSpec] = []
        if (sr := analysis.get("successRate")) is not None:
            checks.append(
                CheckSpec(
                    "successRate",
                    SUCCESS_RATE_QUERY,
                    min=_opt(sr, "min"),
                    abort_below=_opt(sr, "abortBelow"),
                )
            )
        if (lat := analysis.get("latencyP99")) is not None:
            checks.append(
                CheckSpec(
                    "latencyP99",
                    LATENCY_P99_QUERY,
                    max=_opt(lat, "maxMs"),
                    abort_above=_opt(lat, "abortAboveMs"),
                )
            )
        for i, c in enumerate(analysis.get("checks") or ()):
            field = f"rollout.analysis.checks[{i}]"
            if not c.get("name") or not c.get("query"):
                raise ValueError(f"{field}: name and query are required")
            _check_placeholders(str(c["query"]), f"{field}.query")
            checks.append(
                CheckSpec(
                    str(c["name"]),
                    str(c["query"]),
                    min=_opt(c, "min"),
                    max=_opt(c, "max"),
                    abort_below=_opt(c, "abortBelow"),
                    abort_above=_opt(c, "abortAbove"),
                )
            )
        if not checks:
            checks.append(
                CheckSpec("successRate", SUCCESS_RATE_QUERY, min=DEFAULT_SUCCESS_RATE_MIN)
            )
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise ValueError(f"rollout.analysis.checks: check names must be unique: {names}")
        return cls(
            prometheus_url=prometheus.get("url"),
            checks=tuple(checks),
            window=window,
            timeout_s=parse_duration(prometheus.get("timeout", 5.0)),
        )


def _opt(spec: Mapping[str, Any], key: str) -> float | None:
    value = spec.get(key)
    return None if value is None else float(value)


def _check_placeholders(template: str, field: str) -> None:
    unknown = set(_PLACEHOLDER.findall(template)) - PLACEHOLDERS
    if unknown:
        raise ValueError(
            f"{field}: unknown placeholder(s) {sorted(unknown)}; "
            f"use {{{{{'}}, {{'.join(sorted(PLACEHOLDERS))}}}}}"
        )


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_query(
    template: str,
    *,
    namespace: str,
    service: str,
    window: str,
    track: str = "canary",
    revision: str | None = None,
) -> str:
    """Fill the placeholders. Without a revision the built-in queries' revision matcher is
    dropped, and a custom {{revision}} renders empty (matching series without the label)."""
    if revision is None:
        template = template.replace(_REVISION_MATCHER, "")
    values = {
        "namespace": _label_value(namespace),
        "service": _label_value(service),
        "track": _label_value(track),
        "revision": _label_value(revision or ""),
        "window": window,
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def classify(check: CheckSpec, query: str, value: float | None, detail: str = "") -> CheckResult:
    """Value against bounds. No value (None or NaN) is inconclusive, never a pass."""
    if value is None or math.isnan(value):
        return CheckResult(
            check.name,
            query,
            None,
            check.threshold,
            Outcome.INCONCLUSIVE,
            False,
            detail or "no data",
        )
    severe = (check.abort_below is not None and value < check.abort_below) or (
        check.abort_above is not None and value > check.abort_above
    )
    breach = (check.min is not None and value < check.min) or (
        check.max is not None and value > check.max
    )
    outcome = Outcome.FAIL if breach or severe else Outcome.PASS
    return CheckResult(check.name, query, value, check.threshold, outcome, severe, detail)


# -- I/O -----------------------------------------------------------------------------------
def prometheus_value(url: str, promql: str, timeout: float) -> tuple[float | None, str]:
    """(value, "") or (None, why). One series or a scalar is a value; anything else is not."""
    try:
        resp = requests.get(
            f"{url.rstrip('/')}/api/v1/query", params={"query": promql}, timeout=timeout
        )
    except requests.Timeout:
        return None, f"prometheus timed out after {timeout:g}s"
    except requests.RequestException as exc:
        return None, f"prometheus unreachable: {type(exc).__name__}"
    try:
        body = resp.json()
    except ValueError:
        return None, f"prometheus answered HTTP {resp.status_code} without JSON"
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error", "") if isinstance(body, dict) else ""
        return None, f"prometheus error (HTTP {resp.status_code}): {error}".strip()
    data: dict[str, Any] = body.get("data") or {}
    result = data.get("result")
    sample: Any
    if data.get("resultType") == "scalar":
        sample = result
    elif data.get("resultType") == "vector" and isinstance(result, list):
        if not result:
            return None, "no data"
        if len(result) > 1:
            return None, f"query returned {len(result)} series; aggregate it to one"
        sample = result[0].get("value")
    else:
        return None, f"unsupported result type {data.get('resultType')!r}"
    try:
        value = float(sample[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None, "malformed sample"
    if math.isnan(value):
        return None, "NaN (no traffic in the window?)"
    return value, ""


def query_prometheus(url: str, promql: str, timeout: float) -> float | None:
    """The value of an instant query, or None (no data, error, unreachable, timeout)."""
    return prometheus_value(url, promql, timeout)[0]


def run_analysis(
    spec: AnalysisSpec | Mapping[str, Any],
    namespace: str,
    service: str,
    now: float,
    track: str = "canary",
    revision: str | None = None,
) -> Analysis:
    """Run every check for one track of one service (of one revision, when given); never
    raises.

    `spec` is an AnalysisSpec or a FlaskService spec (its rollout.analysis is read). A spec
    that does not parse gives one inconclusive "analysisSpec" check naming the problem.
    """
    if not isinstance(spec, AnalysisSpec):
        try:
            spec = AnalysisSpec.from_spec((spec.get("rollout") or {}).get("analysis"))
        except (ValueError, TypeError, AttributeError) as exc:
            bad = CheckSpec("analysisSpec", "")
            return Analysis((classify(bad, "", None, f"invalid analysis spec: {exc}"),), now)
    checks = spec.checks

    def render(template: str) -> str:
        return render_query(
            template,
            namespace=namespace,
            service=service,
            window=spec.window,
            track=track,
            revision=revision,
        )

    def all_inconclusive(detail: str) -> Analysis:
        return Analysis(tuple(classify(c, render(c.query), None, detail) for c in checks), now)

    url = spec.prometheus_url
    if not url:
        return all_inconclusive("no prometheus url configured")
    traffic, why = prometheus_value(url, render(TRAFFIC_QUERY), spec.timeout_s)
    if traffic is None or traffic <= 0:
        return all_inconclusive(f"no {track} traffic ({why or 'zero requests'})")
    results = []
    for check in checks:
        query = render(check.query)
        value, why = prometheus_value(url, query, spec.timeout_s)
        results.append(classify(check, query, value, why))
    return Analysis(tuple(results), now)
