"""One canary rollout on the local control plane, recorded for the dashboard queries.

What runs: the real operator (as its chart's ServiceAccount), the real catalog service
under gunicorn for each track (tests/support/standins.py), a real Prometheus scraping the
tracks, the operator and the cAdvisor / kube-state-metrics stand-in
(tests/support/node_metrics.py). The rollout: a good release is promoted, a bad one (50%
errors) rolled back, then the operator's RoleBinding is removed for a few seconds so its
reconciles fail for real.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.dashboards.model import expand
from tests.operator.cluster.test_canary_modes import canary_spec
from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.support.kube import Helm, Kubectl
from tests.support.node_metrics import NodeMetrics
from tests.support.operator import (
    OperatorProcess,
    install_operator_chart,
    serviceaccount_kubeconfig,
    uninstall_operator_chart,
)
from tests.support.prometheus import Prometheus
from tests.support.standins import serving

SCRAPE_INTERVAL_S = 1  # tests/support/prometheus.py
STEP_S = 2


@dataclass(frozen=True)
class Run:
    """A finished rollout: where its series are and when it ran."""

    prometheus: Prometheus
    namespace: str
    service: str
    start: float
    end: float

    def query_range(self, promql: str) -> list[dict[str, Any]]:
        resp = requests.get(
            f"{self.prometheus.url}/api/v1/query_range",
            params={"query": promql, "start": self.start, "end": self.end, "step": STEP_S},
            timeout=30,
        )
        body = resp.json()
        assert resp.ok, f"{promql}: {body}"
        assert body["status"] == "success", f"{promql}: {body}"
        return list(body["data"]["result"])

    def label_values(self, label: str, selector: str) -> list[str]:
        resp = requests.get(
            f"{self.prometheus.url}/api/v1/label/{label}/values",
            params={"match[]": selector, "start": self.start, "end": self.end},
            timeout=30,
        )
        body = resp.json()
        assert resp.ok, f"{selector}: {body}"
        assert body["status"] == "success", f"{selector}: {body}"
        return list(body["data"])

    def substitute(self, expr: str, chosen: dict[str, str] | None = None) -> str:
        """Grafana's expansion with this run's namespace and service (and `chosen`)."""
        values = {"namespace": self.namespace, "service": self.service, **(chosen or {})}
        return expand(expr, values, rate_interval=self.rate_interval)

    def offered(self, variable: dict[str, str]) -> list[str]:
        """What Grafana lists for a `label_values(selector, label)` variable over the run."""
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable["query"])
        assert m, variable["query"]
        return self.label_values(m.group(2), self.substitute(m.group(1)))

    @property
    def rate_interval(self) -> str:
        # Grafana's $__rate_interval: max($__interval + scrape interval, 4 * scrape interval).
        return f"{max(STEP_S + SCRAPE_INTERVAL_S, 4 * SCRAPE_INTERVAL_S)}s"


def phase(name: str) -> Any:
    def check(o: dict[str, Any]) -> bool:
        current = (o.get("status") or {}).get("phase") == name
        return current and ready(o) if name == "Ready" else current

    return check


def operator_errors(prometheus: Prometheus) -> float:
    result = prometheus.query("sum(flaskops_reconcile_errors_total)")
    return float(result[0]["value"][1]) if result else 0.0


def operator_errors_after(prometheus: Prometheus, count: float) -> float:
    """Wait until Prometheus has scraped more than `count` reconcile errors; their count."""
    result = prometheus.wait_for(
        "sum(flaskops_reconcile_errors_total)",
        lambda r: bool(r) and float(r[0]["value"][1]) > count,
        timeout=60,
    )
    return float(result[0]["value"][1])


@contextmanager
def rbac_revoked(kubectl: Kubectl, namespace: str, release: str) -> Iterator[None]:
    binding = kubectl.json("get", "rolebinding", release, "-n", namespace)
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
        binding["metadata"].pop(key, None)
    kubectl.run("delete", "rolebinding", release, "-n", namespace)
    try:
        yield
    finally:
        kubectl.run("create", "-f", "-", input=json.dumps(binding))


def canary_rollout(
    kubectl: Kubectl, helm: Helm, prometheus: Prometheus, namespace: str, workdir: Path
) -> Run:
    release = install_operator_chart(helm, kubectl, namespace)
    kubeconfig = serviceaccount_kubeconfig(kubectl, namespace, release, workdir / "kubeconfig")
    no_traces = {"OTEL_TRACES_EXPORTER": "none"}
    operator = OperatorProcess(namespace, kubeconfig, workdir, extra_env=no_traces).start()
    # No `namespace` target label: the operator's series keep their FlaskService namespace,
    # as the operator chart's ServiceMonitor (honorLabels) makes Prometheus keep it.
    prometheus.add_target(f"{namespace}-operator", f"127.0.0.1:{operator.metrics_port}")
    start = time.time()
    try:
        spec = canary_spec(prometheus, "replicas", "1.0.0")
        # The chart sets no CPU limit by default; this FlaskService does, so the CPU panel's
        # limit line has a series to show.
        spec["resources"] = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        }
        kubectl.apply(fsvc(spec), "-n", namespace)
        kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=60)
        with serving(kubectl, prometheus, namespace, NAME, workdir) as load:
            node = NodeMetrics(load.standins)
            prometheus.add_target(f"{namespace}-node", node.start())
            try:
                spec["image"]["tag"] = "1.1.0"
                kubectl.apply(fsvc(spec), "-n", namespace)
                kubectl.wait_for(
                    f"flaskservice/{NAME}",
                    lambda o: (o.get("status") or {}).get("canaryRevision"),
                    "-n",
                    namespace,
                )
                kubectl.wait_for(
                    f"flaskservice/{NAME}", phase("Ready"), "-n", namespace, timeout=120
                )
                # At once: the analysis selects the new canary's revision, so the promoted
                # canary's series still in rate()'s window cannot pass it.
                spec["image"]["tag"] = "1.2.0"
                spec["env"] = [{"name": "FAULT_ERROR_RATE", "value": "0.5"}]
                kubectl.apply(fsvc(spec), "-n", namespace)
                kubectl.wait_for(
                    f"flaskservice/{NAME}", phase("Failed"), "-n", namespace, timeout=120
                )
                before = operator_errors(prometheus)
                with rbac_revoked(kubectl, namespace, release):
                    # The operator is watch-driven: at rest it sends nothing, so a spec change
                    # (as its user would make) is what makes it render, apply, and fail.
                    for replicas in (3, spec["replicaCount"]):
                        kubectl.run(
                            "patch", f"flaskservice/{NAME}", "-n", namespace, "--type=merge",
                            "-p", json.dumps({"spec": {"replicaCount": replicas}}),
                        )  # fmt: skip
                    # The errors' first scrape creates the ForbiddenError series, which
                    # rate() cannot see; an error after it (the retry, 5 s later) is what
                    # the panel shows.
                    first = operator_errors_after(prometheus, before)
                    operator_errors_after(prometheus, first)
                time.sleep(4 * SCRAPE_INTERVAL_S)  # a few scrapes after the last change
            finally:
                prometheus.remove_target(f"{namespace}-node")
                node.stop()
        return Run(prometheus, namespace, NAME, start, time.time())
    finally:
        prometheus.remove_target(f"{namespace}-operator")
        if operator.proc and operator.proc.poll() is None:
            kubectl.run(
                "delete", "flaskservices", "--all", "-n", namespace, "--timeout=30s", check=False
            )
        operator.stop()
        uninstall_operator_chart(helm, namespace, release)
