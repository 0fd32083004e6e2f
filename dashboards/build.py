"""Write every dashboard's JSON beside its source: `python -m dashboards.build [--check]`.

--check exits 1 naming each file whose committed JSON differs from what the source builds
(the drift test runs the same comparison).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboards import canary, flask_service, operator_dashboard

HERE = Path(__file__).parent
# The chart ships a copy: helm reads files only from inside the chart directory.
CHART_FILES = HERE.parent / "charts/flaskops-observability/files/dashboards"
SOURCES: dict[str, Callable[[], dict[str, Any]]] = {
    "flask-service.json": flask_service.build,
    "canary.json": canary.build,
    "operator.json": operator_dashboard.build,
}


def render(build: Callable[[], dict[str, Any]]) -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def outputs(name: str) -> list[Path]:
    return [HERE / name, CHART_FILES / name]


def stale() -> list[str]:
    return [
        str(path.relative_to(HERE.parent))
        for name, build in SOURCES.items()
        for path in outputs(name)
        if not path.exists() or path.read_text() != render(build)
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        drifted = stale()
        for name in drifted:
            print(f"{name} is stale: run `make dashboards`", file=sys.stderr)
        return 1 if drifted else 0
    for name, build in SOURCES.items():
        for path in outputs(name):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(build))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
