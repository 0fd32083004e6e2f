"""`make demo`: a canary rollout on the local control plane, no container engine needed.

Real: kube-apiserver, etcd, controller-manager, scheduler (kwokctl), the flaskops operator
(running as its chart's ServiceAccount), helm, Prometheus, gunicorn and the reference
catalog service. Standing in for a container engine: KWOK fake nodes make the pods Ready,
and one gunicorn process per track plays the pods' containers with their environment;
a small load generator plays kube-proxy, splitting requests like the ready pods do.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flaskops.cli import render_status  # noqa: E402

from tests.support.gateway import Gateway  # noqa: E402
from tests.support.jaeger import Jaeger  # noqa: E402
from tests.support.kube import Helm, Kubectl  # noqa: E402
from tests.support.operator import (  # noqa: E402
    OperatorProcess,
    install_operator_chart,
    serviceaccount_kubeconfig,
)
from tests.support.otel import Span  # noqa: E402
from tests.support.prometheus import Prometheus  # noqa: E402
from tests.support.services import start_service  # noqa: E402
from tests.support.standins import StandIns, Traffic  # noqa: E402
from tests.support.tools import require  # noqa: E402

NAMESPACE = "demo"
NAME = "catalog"
CRD = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def spec(
    prometheus: Prometheus, tag: str, env: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "flaskops.io/v1alpha1",
        "kind": "FlaskService",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "image": {"repository": "registry.example/catalog", "tag": tag},
            "replicaCount": 4,
            "env": env or [],
            "rollout": {
                "strategy": "canary",
                "canary": {"steps": [20, 50], "interval": "5s", "traffic": "replicas"},
                "analysis": {
                    "prometheus": {"url": prometheus.url},
                    "window": "10s",
                    "successRate": {"min": 95, "abortBelow": 80},
                    "latencyP99": {"maxMs": 500},
                    "failureThreshold": 2,
                },
            },
        },
    }


def watch(kubectl: Kubectl, until: set[str], timeout: float = 180) -> tuple[dict[str, Any], float]:
    """Redraw the live status (the same view as `kubectl flaskops status -w`) until a phase."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        obj = kubectl.json("get", f"flaskservice/{NAME}", "-n", NAMESPACE)
        text = render_status(obj)
        if sys.stdout.isatty():
            sys.stdout.write("\033[J" + text + f"\n\033[{text.count(chr(10)) + 1}A")
        status = obj.get("status") or {}
        current = status.get("observedGeneration") == obj["metadata"]["generation"]
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or []
        )
        settled = status.get("phase") in until and not (status.get("rollout") or {}).get("canary")
        if current and settled and (ready or status.get("phase") != "Ready"):
            print(text if not sys.stdout.isatty() else "\033[J" + text, flush=True)
            return obj, time.monotonic() - start
        time.sleep(0.5)
    raise SystemExit(f"demo: no {until} after {timeout}s")


def trace_orders_to_catalog(gateway: Gateway, jaeger: Jaeger, catalog_url: str, work: Path) -> None:
    """One orders request calling catalog, its spans through the gateway, read back from
    Jaeger's query API (the same one its UI uses)."""
    trace_id = os.urandom(16).hex()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": gateway.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_SERVICE_NAME": "orders",
        "CATALOG_URL": catalog_url,
    }
    with start_service("orders", env, workers=1, log_dir=work) as orders:
        requests.get(
            f"{orders.url}/orders/12",
            headers={"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"},
            timeout=5,
        ).raise_for_status()

        def both(trace: list[Span]) -> bool:
            return trace[0].trace_id == trace_id and {s.service for s in trace} >= {
                "orders",
                NAME,
            }

        trace = jaeger.wait_for_trace("orders", both)
    hops = " -> ".join(s.name for s in sorted(trace, key=lambda s: s.kind != "2"))
    print(f"Jaeger: trace {trace_id} holds orders -> {NAME} ({len(trace)} spans: {hops})")
    print(f"  {jaeger.url}/api/traces/{trace_id}")


def main() -> int:
    out = subprocess.run(
        ["bash", str(REPO / "hack/cluster.sh"), "up"], capture_output=True, text=True, check=True
    )
    kubeconfig = Path(out.stdout.strip().splitlines()[-1].removeprefix("export KUBECONFIG="))
    kubectl, helm = Kubectl(require("kubectl"), kubeconfig), Helm(require("helm"), kubeconfig)
    work = Path(tempfile.mkdtemp(prefix="flaskops-demo-"))
    timings: list[tuple[str, float]] = []

    say(
        "Local control plane is up (kwokctl: etcd, kube-apiserver, controller-manager, scheduler, KWOK nodes)"
    )
    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(CRD))
    kubectl.wait_established("flaskservices.flaskops.io")
    kubectl.run(
        "delete", "namespace", NAMESPACE, "--ignore-not-found", "--timeout=60s", check=False
    )
    kubectl.run("create", "namespace", NAMESPACE)
    release = install_operator_chart(helm, kubectl, NAMESPACE)
    operator = OperatorProcess(
        NAMESPACE,
        serviceaccount_kubeconfig(kubectl, NAMESPACE, release, work / "operator.kubeconfig"),
        work,
    ).start()
    prometheus = Prometheus(require("prometheus"), work / "prometheus")
    # Spans: services -> the shipped collector gateway config -> Jaeger, all over OTLP.
    jaeger = Jaeger(require("jaeger"), work / "jaeger")
    gateway = Gateway(
        require("otelcol-gateway"), work / "gateway", jaeger.otlp_endpoint, kubeconfig
    )
    print(f"operator running as ServiceAccount {NAMESPACE}/{release}; log: {operator.log_path}")
    print(f"Prometheus: {prometheus.url}  (try: flask_http_request_total)")
    print(f"Jaeger:     {jaeger.url}  (API: {jaeger.url}/api/traces?service={NAME})")
    telemetry = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": gateway.endpoint,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_BSP_SCHEDULE_DELAY": "500",
    }

    standins = traffic = None
    try:
        say("Deploy catalog 1.0.0 (first revision: no canary)")
        t0 = time.monotonic()
        kubectl.apply(spec(prometheus, "1.0.0"))
        watch(kubectl, {"Ready"})
        timings.append(("first deploy of 1.0.0", time.monotonic() - t0))
        standins = StandIns(
            kubectl, prometheus, NAMESPACE, NAME, log_dir=work, extra_env=telemetry
        ).start()
        traffic = Traffic(standins).start()
        trace_orders_to_catalog(gateway, jaeger, standins.urls()["stable"], work)

        say("Release 1.1.0, a healthy version: canary 20% -> 50% -> promoted")
        kubectl.apply(spec(prometheus, "1.1.0"))
        obj, took = watch(kubectl, {"Ready"})
        timings.append(("1.1.0 canary to promotion", took))

        say("Release 1.2.0 with FAULT_ERROR_RATE=0.5, a bad version: rolled back")
        kubectl.apply(spec(prometheus, "1.2.0", [{"name": "FAULT_ERROR_RATE", "value": "0.5"}]))
        obj, took = watch(kubectl, {"Failed"})
        first_bad = traffic.first_seen.get(("canary", "1.2.0"))
        timings.append(("1.2.0 canary to rollback", took))
        if first_bad:
            timings.append(("1.2.0 first traffic to rollback", time.time() - first_bad))
        bad = {s: n for (t, v, s), n in traffic.counts.items() if (t, v) == ("canary", "1.2.0")}

        say("Summary")
        for what, secs in timings:
            print(f"  {what:<36} {secs:6.1f}s")
        print(
            f"  bad canary answered {sum(bad.values())} requests, {sum(n for s, n in bad.items() if s >= 500)} errors"
        )
        print(f"  stable track now: {obj['status']['image']} (phase {obj['status']['phase']})")
        print(
            f"\nThe cluster stays up: export KUBECONFIG={kubeconfig}; stop it with: make cluster-down"
        )
        if os.environ.get("FLASKOPS_DEMO_HOLD") == "1":
            print(f"Holding Prometheus {prometheus.url} and Jaeger {jaeger.url}: Ctrl-C stops them")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    finally:
        if traffic:
            traffic.stop()
        if standins:
            standins.stop()
        kubectl.run("delete", "flaskservice", NAME, "-n", NAMESPACE, "--timeout=30s", check=False)
        operator.stop()
        gateway.stop()
        jaeger.stop()
        prometheus.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
