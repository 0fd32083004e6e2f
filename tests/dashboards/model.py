"""Walking a dashboard's JSON: panels (rows flattened), targets, variables, macros."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import REPO

DASHBOARDS = sorted((REPO / "dashboards").glob("*.json"))
# What dashboard-linter substitutes for `$__rate_interval` before parsing, so a rule can
# recognise it in the parsed range (theirs is larger than the Rust parser accepts).
RATE_INTERVAL_MAGIC = "1234567ms"
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel: dict[str, Any]
    ref_id: str
    expr: str
    legend: str

    @property
    def where(self) -> str:
        return f"{self.dashboard}: panel {self.panel.get('title')!r} target {self.ref_id}"


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every non-row panel, including those nested in collapsed rows."""
    for p in dashboard.get("panels") or []:
        if p.get("type") == "row":
            yield from p.get("panels") or []
        else:
            yield p


def targets(name: str, dashboard: dict[str, Any]) -> Iterator[Target]:
    for p in panels(dashboard):
        for t in p.get("targets") or []:
            yield Target(name, p, t.get("refId", ""), t.get("expr", ""), t.get("legendFormat", ""))


def annotations(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in (dashboard.get("annotations") or {}).get("list") or [] if "expr" in a]


def variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return list((dashboard.get("templating") or {}).get("list") or [])


def expand(expr: str, values: dict[str, str], rate_interval: str = RATE_INTERVAL_MAGIC) -> str:
    """Grafana's substitution: macros first, then dashboard variables ($x and ${x})."""
    macros = {
        "__rate_interval": rate_interval,
        "__interval": rate_interval,
        "__range": "1h",
    }

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name in macros:
            return macros[name]
        return values.get(name, m.group(0))

    return _VARIABLE.sub(sub, expr)


def sample_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Like dashboard-linter: each variable stands for its own name (`$namespace` -> namespace)."""
    return {v["name"]: v["name"] for v in variables(dashboard)}


def legend_labels(legend: str) -> set[str]:
    return set(re.findall(r"\{\{\s*(\w+)\s*\}\}", legend))
