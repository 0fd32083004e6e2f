"""What every flaskops dashboard shares: the templated datasource, variables, panel shapes.

Panels are laid out in reading order on Grafana's 24-column grid by `Layout`, so a source
lists panels and never computes coordinates. Ids are assigned in the same pass: Grafana
and the linter both want a stable, unique id per panel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders.common import StackingConfig
from grafana_foundation_sdk.builders.dashboard import (
    AnnotationQuery,
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.statetimeline import Panel as StateTimeline
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import StackingMode
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    GridPos,
    VariableRefresh,
    VariableSort,
)

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["flaskops"]
RATE = "$__rate_interval"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


def datasource_variable() -> DatasourceVariable:
    # Named and labelled as dashboard-linter's template-datasource-rule asks.
    return DatasourceVariable("datasource").label("Data source").type("prometheus")


def label_variable(name: str, label: str, query: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def _targets(panel: Any, queries: Sequence[Query]) -> Any:
    for i, q in enumerate(queries):
        panel = panel.with_target(
            Dataquery().ref_id(chr(ord("A") + i)).expr(q.expr).legend_format(q.legend).range()
        )
    return panel


def scoped(d: Dashboard, metric: str, service_label: str, service_title: str) -> Dashboard:
    """The datasource, then namespace and service variables read off `metric`'s labels."""
    return (
        d.with_variable(datasource_variable())
        .with_variable(
            label_variable("namespace", "Namespace", f"label_values({metric}, namespace)")
        )
        .with_variable(
            label_variable(
                "service",
                service_title,
                f'label_values({metric}{{namespace="$namespace"}}, {service_label})',
            )
        )
    )


def timeseries(title: str, description: str, unit: str, *queries: Query, **opts: Any) -> Any:
    panel = Timeseries().title(title).description(description).unit(unit).datasource(DATASOURCE)
    if "min" in opts:
        panel = panel.min(opts["min"])
    if "max" in opts:
        panel = panel.max(opts["max"])
    if opts.get("stack"):
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL))
    return _targets(panel, queries)


def stat(title: str, description: str, unit: str, *queries: Query) -> Any:
    return _targets(
        Stat().title(title).description(description).unit(unit).datasource(DATASOURCE), queries
    )


def state_timeline(title: str, description: str, *queries: Query) -> Any:
    return _targets(
        StateTimeline().title(title).description(description).unit("bool").datasource(DATASOURCE),
        queries,
    )


def annotation(name: str, color: str, expr: str, title: str) -> tuple[Any, dict[str, str]]:
    """A Prometheus annotation; the fields the SDK has no builder for are added after."""
    query = AnnotationQuery().name(name).datasource(DATASOURCE).enable(True).icon_color(color)
    return query.expr(expr), {"titleFormat": title, "tagKeys": "outcome", "step": "10s"}


@dataclass
class Layout:
    """Rows of panels, full-width rows and half-width (or given-width) panels."""

    dashboard: Dashboard
    _next_id: int = 1
    _x: int = 0
    _y: int = 0
    _row_height: int = 0
    _extras: list[dict[str, str]] = field(default_factory=list)

    def row(self, title: str) -> Layout:
        self._newline()
        self.dashboard = self.dashboard.with_row(
            Row(title).id(self._take_id()).grid_pos(GridPos(h=1, w=24, x=0, y=self._y))
        )
        self._y += 1
        return self

    def panel(self, panel: Any, width: int = 12, height: int = 8) -> Layout:
        if self._x + width > 24:
            self._newline()
        pos = GridPos(h=height, w=width, x=self._x, y=self._y)
        self.dashboard = self.dashboard.with_panel(panel.id(self._take_id()).grid_pos(pos))
        self._x += width
        self._row_height = max(self._row_height, height)
        return self

    def annotate(self, built: tuple[Any, dict[str, str]]) -> Layout:
        query, extras = built
        self.dashboard = self.dashboard.annotation(query)
        self._extras.append(extras)
        return self

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            JSONEncoder(sort_keys=True).encode(self.dashboard.build())
        )
        custom = [a for a in data["annotations"].get("list", []) if not a.get("builtIn")]
        for ann, extras in zip(custom, self._extras, strict=True):
            ann.update(extras)
        return data


def new_dashboard(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .refresh("30s")
        .time("now-1h", "now")
        .readonly()  # provisioned from a ConfigMap: UI edits would be lost on reload
    )
