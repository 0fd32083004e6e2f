"""The helper at each of the three resolutions of its declared ranges (the lock, the lowest
they allow, the newest that resolve): a user's app under 2 gunicorn workers serves every
request, /metrics counts them exactly, spans reach a real collector and decode, and the
app's log lines carry their trace ids. Each resolution is its own venv and xdist group, so
the three run side by side."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.otel import OtelCollector
from tests.support.tools import require
from tests.support.userapp import (
    check_metrics,
    check_spans_and_logs,
    drive,
    guard_warnings,
    server_spans,
    start_userapp,
)
from tests.support.venvs import RESOLUTIONS, TELEMETRY, installed, telemetry_venv


def declared() -> list[Requirement]:
    project = tomllib.loads((TELEMETRY / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def by_resolution() -> list[pytest.ParameterSet]:
    return [pytest.param(r, marks=pytest.mark.xdist_group(f"telemetry-{r}")) for r in RESOLUTIONS]


@pytest.mark.parametrize("resolution", by_resolution())
def test_user_app_works_at_each_resolution(resolution: str, tmp_path: Path) -> None:
    python = telemetry_venv(resolution)
    versions = installed(python)
    assert not {"kopf", "kubernetes"} & set(versions)
    for requirement in declared():
        have = versions[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(have, prereleases=True), (requirement, have)
        if resolution == "lowest":  # the floors themselves are what runs
            (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
            assert Version(have) == Version(floor), (requirement, have)

    collector = OtelCollector(require("otelcol-flaskops"), tmp_path)
    try:
        with start_userapp(python, collector.endpoint) as app:
            traffic = drive(app)
            check_metrics(app, traffic)
            spans = check_spans_and_logs(app, collector, traffic)
            # Inside the tested ranges the fast path runs: the guard has nothing to say.
            assert guard_warnings(app.log_records()) == []
            assert {s.scope for s in server_spans(spans)} == {"flaskops_flask"}
    finally:
        collector.stop()
    assert app.proc.returncode == 0, app.logs()[-3000:]
