"""Pictures of the dashboards from a real run: each panel's queries over the rollout,
drawn with matplotlib in the dashboard's layout order (Grafana cannot run here).

`make observability-pictures` writes docs/observability/<dashboard>.png.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from tests.dashboards.live import Run
from tests.dashboards.model import DASHBOARDS, annotations, load, panels, variables

COLORS = {"green": "tab:green", "red": "tab:red"}


def legend(fmt: str, metric: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt).strip()


def _times(values: list[list[Any]]) -> tuple[list[datetime], list[float]]:
    xs = [datetime.fromtimestamp(float(t), UTC) for t, _ in values]
    ys = [float(v) for _, v in values]
    return xs, ys


def draw(run: Run, path: Path, out: Path) -> Path:
    dashboard = load(path)
    repeats = {v["name"]: run.offered(v) for v in variables(dashboard) if v["type"] == "query"}
    # A repeated panel is drawn once per value of its variable, as Grafana repeats it.
    shown = [
        (p, {p["repeat"]: value} if p.get("repeat") else {})
        for p in panels(dashboard)
        if p.get("targets")
        for value in (repeats[p["repeat"]] if p.get("repeat") else [""])
    ]
    cols = 2
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(14, 3.2 * rows), squeeze=False)
    marks = [(a, run.query_range(run.substitute(a["expr"]))) for a in annotations(dashboard)]
    for ax, (panel, chosen) in zip(axes.flat, shown, strict=False):
        unit = (panel.get("fieldConfig") or {}).get("defaults", {}).get("unit", "")
        for target in panel["targets"]:
            for s in run.query_range(run.substitute(target["expr"], chosen)):
                xs, ys = _times(s["values"])
                ax.plot(
                    xs, ys, label=legend(target.get("legendFormat", ""), s["metric"]) or "value"
                )
        for ann, series in marks:
            for s in series:
                xs, _ = _times(s["values"])
                if xs:
                    ax.axvline(xs[0], color=COLORS.get(ann.get("iconColor", ""), "grey"), ls="--")
        title = panel["title"]
        for name, value in chosen.items():
            title = title.replace(f"${name}", value)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_ylabel(unit, fontsize=8)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
        ax.tick_params(labelsize=7)
        handles, names = ax.get_legend_handles_labels()
        if handles:
            # Per-pod panels have a line per pod: the first few name the colours.
            ax.legend(handles[:8], names[:8], fontsize=6, loc="upper left", ncol=2)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    when = datetime.fromtimestamp(run.start, UTC).strftime("%Y-%m-%d %H:%M UTC")
    fig.suptitle(f"{dashboard['title']}: {run.namespace}/{run.service}, canary run of {when}")
    fig.tight_layout()
    target = out / f"{path.stem}.png"
    fig.savefig(target, dpi=80)
    plt.close(fig)
    return target


def draw_all(run: Run, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [draw(run, path, out) for path in DASHBOARDS]
