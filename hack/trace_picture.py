"""Draw one real orders -> catalog trace as Jaeger holds it (its query API's answer), the
waterfall Jaeger's trace view shows: `make trace-picture` writes
docs/observability/trace-orders-catalog.png.

Everything in the path is real and the same as in `make demo`: the reference services
under gunicorn, the shipped collector gateway config (k8s_attributes against the local
control plane) and Jaeger; only the drawing is ours, because the Jaeger Go module carries
no compiled web UI (see docs/observability.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.pyplot as plt
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.gateway import Gateway  # noqa: E402
from tests.support.jaeger import Jaeger  # noqa: E402
from tests.support.services import start_service  # noqa: E402
from tests.support.tools import require  # noqa: E402

OUT = REPO / "docs/observability/trace-orders-catalog.png"
COLORS = {"orders": "tab:blue", "catalog": "tab:orange"}


def record_trace(work: Path, kubeconfig: Path) -> dict[str, Any]:
    jaeger = Jaeger(require("jaeger"), work / "jaeger")
    gateway = Gateway(
        require("otelcol-gateway"), work / "gateway", jaeger.otlp_endpoint, kubeconfig
    )
    try:
        common = {"OTEL_EXPORTER_OTLP_ENDPOINT": gateway.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        trace_id = os.urandom(16).hex()
        with (
            start_service("catalog", {**common, "OTEL_SERVICE_NAME": "catalog"}, workers=1) as c,
            start_service(
                "orders",
                {**common, "OTEL_SERVICE_NAME": "orders", "CATALOG_URL": c.url},
                workers=1,
            ) as o,
        ):
            headers = {"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"}
            requests.get(f"{o.url}/orders/12", headers=headers, timeout=5).raise_for_status()
            jaeger.wait_for_trace(
                "orders", lambda t: t[0].trace_id == trace_id and len({s.service for s in t}) == 2
            )
        resp = requests.get(f"{jaeger.url}/api/traces/{trace_id}", timeout=5)
        resp.raise_for_status()
        return dict(resp.json()["data"][0])
    finally:
        gateway.stop()
        jaeger.stop()


def draw(trace: dict[str, Any], out: Path) -> None:
    processes = trace["processes"]
    spans = sorted(trace["spans"], key=lambda s: s["startTime"])
    t0 = spans[0]["startTime"]
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(spans) + 1.2))
    labels = []
    for row, s in enumerate(spans):
        service = processes[s["processID"]]["serviceName"]
        kind = next((t["value"] for t in s["tags"] if t["key"] == "span.kind"), "")
        labels.append(f"{service}: {s['operationName']} ({kind})")
        start, width = (s["startTime"] - t0) / 1000, s["duration"] / 1000
        ax.barh(row, width, left=start, color=COLORS.get(service, "tab:gray"), height=0.5)
        ax.text(start + width, row, f"  {width:.1f} ms", va="center", fontsize=8)
    ax.set_yticks(list(range(len(spans))), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms since the trace's first span")
    ax.set_title(f"Jaeger: trace {trace['traceID']} (orders -> catalog, {len(spans)} spans)")
    ax.margins(x=0.15)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(REPO)}")


def main() -> int:
    up = subprocess.run(
        ["bash", str(REPO / "hack/cluster.sh"), "up"], capture_output=True, text=True, check=True
    )
    kubeconfig = Path(up.stdout.strip().splitlines()[-1].removeprefix("export KUBECONFIG="))
    with tempfile.TemporaryDirectory(prefix="flaskops-trace-") as work:
        draw(record_trace(Path(work), kubeconfig), OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
