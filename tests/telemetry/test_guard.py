"""The guard's tested ranges are the declared ones, and it finds nothing to object to in
the lock's environment (the resolutions' test shows the same under gunicorn)."""

from __future__ import annotations

import tomllib

from flaskops_flask import guard
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from tests.support.venvs import TELEMETRY


def test_the_guard_checks_exactly_the_declared_ranges() -> None:
    project = tomllib.loads((TELEMETRY / "pyproject.toml").read_text())["project"]
    declared = {
        (r := Requirement(line)).name.lower(): r.specifier for line in project["dependencies"]
    }
    for name, spec in guard.TESTED.items():
        assert declared[name] == SpecifierSet(spec), (
            f"{name}: guard {spec}, declared {declared[name]}"
        )
    opentelemetry = {n for n in declared if n.startswith("opentelemetry-")}
    # Every OpenTelemetry distribution is checked except the instrumentations the fast path
    # never touches (they are the upstream path).
    unchecked = opentelemetry - set(guard.TESTED)
    assert unchecked == {
        "opentelemetry-instrumentation-flask",
        "opentelemetry-instrumentation-requests",
    }


def test_the_lock_environment_passes_the_guard() -> None:
    assert guard.problems() == []
