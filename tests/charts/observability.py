"""Rendering charts/flaskops-observability with the real helm."""

from __future__ import annotations

from typing import Any

from tests.charts.chart import CHARTS, Manifest, render

OBSERVABILITY_CHART = CHARTS / "flaskops-observability"
OBS_RELEASE = "obs"
OBS_FULLNAME = "obs-flaskops-observability"


def render_observability(values: dict[str, Any] | None = None, **kwargs: Any) -> Manifest:
    return render(values, chart=OBSERVABILITY_CHART, release=OBS_RELEASE, **kwargs)


def operator_rules(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(
        render_observability(values).get("PrometheusRule", f"{OBS_FULLNAME}-operator")["spec"]
    )
