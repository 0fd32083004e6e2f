"""grafana/dashboard-linter's rules, ported (the linter cannot be installed here: its go.mod
has a replace directive, so `go install` refuses it). Rule names are the linter's.

PromQL is parsed twice: by promtool (the real Prometheus parser, rule target-promql-rule)
and by promql-parser (a Rust port with an AST, for the rules that walk the expression).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser as pp
import yaml

from tests.dashboards.model import (
    RATE_INTERVAL_MAGIC,
    annotations,
    expand,
    panels,
    sample_values,
    targets,
    variables,
)
from tests.support.tools import require

# lint/rule_panel_units.go's list, minus the currencies, energy and other units no flaskops
# panel could mean.
VALID_UNITS = frozenset(
    [
        "none",
        "string",
        "short",
        "percent",
        "percentunit",
        "hex",
        "sci",
        "locale",
        "bytes",
        "decbytes",
        "bits",
        "decbits",
        "kbytes",
        "deckbytes",
        "mbytes",
        "decmbytes",
        "gbytes",
        "decgbytes",
        "pps",
        "binBps",
        "Bps",
        "binbps",
        "bps",
        "KiBs",
        "KBs",
        "MiBs",
        "MBs",
        "GiBs",
        "GBs",
        "dateTimeAsIso",
        "dateTimeAsIsoNoDateIfToday",
        "dateTimeAsUS",
        "dateTimeAsLocal",
        "dateTimeFromNow",
        "hertz",
        "ns",
        "µs",
        "ms",
        "s",
        "m",
        "h",
        "d",
        "dtdurationms",
        "dtdurations",
        "dthms",
        "dtdhms",
        "timeticks",
        "clockms",
        "clocks",
        "cps",
        "ops",
        "reqps",
        "rps",
        "wps",
        "iops",
        "cpm",
        "opm",
        "rpm",
        "wpm",
        "bool",
        "bool_yes_no",
        "bool_on_off",
    ]
)
QUERY_PANELS = frozenset({"timeseries", "stat", "gauge", "state-timeline", "table", "bargauge"})
TEMPLATED = frozenset({"$datasource", "${datasource}"})
RATE_FUNCS = frozenset({"rate", "irate"})
COUNTER_FUNCS = frozenset({"rate", "irate", "increase"})
MAGIC = timedelta(milliseconds=int(RATE_INTERVAL_MAGIC.removesuffix("ms")))

Violation = tuple[str, str]  # (rule, where: message)


def children(node: Any) -> list[Any]:
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr):
        return [node.expr]
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    return []


def walk(node: Any, parents: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    yield node, parents
    for child in children(node):
        yield from walk(child, (*parents, node))


def rate_interval_errors(expr: Any) -> list[str]:
    """target-rate-interval-rule: a range under rate/irate must be $__rate_interval."""
    out = []
    for node, parents in walk(expr):
        if isinstance(node, pp.MatrixSelector) and node.range != MAGIC and parents:
            parent = parents[-1]
            if isinstance(parent, pp.Call) and parent.func.name in RATE_FUNCS:
                span = pp.display_duration(node.range)
                out.append(f"{parent.func.name}() over [{span}] should use $__rate_interval")
    return out


def counter_errors(expr: Any) -> list[str]:
    """target-counter-agg-rule: a *_total series is only read through rate/irate/increase."""
    out = []
    for node, parents in walk(expr):
        if isinstance(node, pp.VectorSelector) and (node.name or "").endswith("_total"):
            ok = (
                len(parents) >= 2
                and isinstance(parents[-1], pp.MatrixSelector)
                and isinstance(parents[-2], pp.Call)
                and parents[-2].func.name in COUNTER_FUNCS
            )
            if not ok:
                out.append(f"counter {node.name} is not under rate, irate or increase")
    return out


def promtool_errors(exprs: dict[str, str]) -> dict[str, str]:
    """Each expression through `promtool check rules`, one rule group per expression."""
    groups = [
        {"name": f"g{i}", "rules": [{"record": "lint:check", "expr": e}]}
        for i, e in enumerate(exprs.values())
    ]
    keys = list(exprs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yaml"
        path.write_text(yaml.safe_dump({"groups": groups}))
        proc = subprocess.run(
            [require("promtool"), "check", "rules", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if proc.returncode == 0:
        return {}
    errors: dict[str, str] = {}
    out = proc.stdout + proc.stderr
    for m in re.finditer(r'group "g(\d+)", rule \d+, "lint:check": (.*)', out):
        errors[keys[int(m.group(1))]] = m.group(2).strip()
    if not errors:
        raise AssertionError(f"promtool failed without naming a rule: {out}")
    return errors


def _datasource_uid(obj: dict[str, Any]) -> str:
    ds = obj.get("datasource")
    return str(ds.get("uid", "")) if isinstance(ds, dict) else str(ds or "")


def lint(name: str, dashboard: dict[str, Any]) -> list[Violation]:
    found: list[Violation] = []

    def add(rule: str, where: str, message: str) -> None:
        found.append((rule, f"{where}: {message}"))

    ds_vars = [v for v in variables(dashboard) if v.get("type") == "datasource"]
    if not ds_vars:
        add("template-datasource-rule", name, "has no templated data source")
    for v in ds_vars:
        if v.get("name") not in {"datasource", "prometheus_datasource"}:
            add("template-datasource-rule", name, f"data source variable {v.get('name')!r}")
        if v.get("query") != "prometheus":
            add("template-datasource-rule", name, f"data source type {v.get('query')!r}")
    if dashboard.get("editable", True):
        add("uneditable-dashboard", name, "is editable; a provisioned dashboard should not be")

    for v in variables(dashboard):
        if v.get("type") == "query":
            if _datasource_uid(v) not in TEMPLATED:
                add("panel-datasource-rule", name, f"variable {v['name']} has a fixed datasource")
            query = v.get("query")
            text = query.get("query", "") if isinstance(query, dict) else str(query)
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", text.strip())
            try:
                if not m:
                    raise ValueError("not label_values(selector, label)")
                pp.parse(expand(m.group(1), sample_values(dashboard)))
            except ValueError as e:
                add("template-label-promql-rule", name, f"variable {v['name']}: {e}")

    for p in panels(dashboard):
        where = f"{name}: panel {p.get('title')!r}"
        kind = p.get("type")
        if kind not in QUERY_PANELS:
            continue
        if _datasource_uid(p) not in TEMPLATED:
            add("panel-datasource-rule", where, f"datasource {p.get('datasource')!r}")
        if not p.get("title") or not p.get("description"):
            add("panel-title-description-rule", where, "needs a title and a description")
        defaults = (p.get("fieldConfig") or {}).get("defaults") or {}
        if not defaults.get("mappings") and defaults.get("unit") not in VALID_UNITS:
            add("panel-units-rule", where, f"unit {defaults.get('unit')!r} is not a valid unit")
        if not p.get("targets"):
            add("panel-no-targets-rule", where, "has no targets")

    exprs: dict[str, str] = {}
    checks: list[tuple[str, str]] = [(t.where, t.expr) for t in targets(name, dashboard)] + [
        (f"{name}: annotation {a.get('name')!r}", a["expr"]) for a in annotations(dashboard)
    ]
    values = sample_values(dashboard)
    for where, raw in checks:
        expanded = expand(raw, values)
        exprs[where] = expanded
        try:
            tree = pp.parse(expanded)
        except ValueError:
            continue  # target-promql-rule reports it, from promtool
        for message in rate_interval_errors(tree):
            add("target-rate-interval-rule", where, message)
        for message in counter_errors(tree):
            add("target-counter-agg-rule", where, message)
    for where, message in promtool_errors(exprs).items():
        add("target-promql-rule", where, message)
    return found


RULES = (
    "template-datasource-rule",
    "template-label-promql-rule",
    "uneditable-dashboard",
    "panel-datasource-rule",
    "panel-title-description-rule",
    "panel-units-rule",
    "panel-no-targets-rule",
    "target-promql-rule",
    "target-rate-interval-rule",
    "target-counter-agg-rule",
)
