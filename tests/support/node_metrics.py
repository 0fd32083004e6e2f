"""Stand-in for kubelet's cAdvisor and kube-state-metrics: neither can run without a real
kubelet (KWOK nodes have none), so this serves their series, under their names and labels,
for the pods of one FlaskService.

Where the numbers come from: requests, limits and restart counts from the real Pod objects
in the cluster (what kube-state-metrics reads), and CPU seconds and resident memory from
the real gunicorn process tree serving each track (what cAdvisor would measure for the
container), shared evenly by the track's pods since one process stands in for all of them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from kubernetes.utils.quantity import parse_quantity
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import MetricsHandler
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tests.support.standins import StandIns

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def process_tree(root: int) -> list[int]:
    """The pid and every descendant (gunicorn's master and its workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier]
        tree += children
        frontier = children
    return tree


def usage(root: int) -> tuple[float, float]:
    """(CPU seconds, resident bytes) of a process tree, from /proc."""
    cpu = rss = 0.0
    for pid in process_tree(root):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
            statm = open(f"/proc/{pid}/statm").read().split()  # noqa: SIM115
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
        rss += int(statm[1]) * PAGE
    return cpu, rss


@dataclass(eq=False)  # the registry keys collectors by identity
class NodeMetrics(Collector):
    standins: StandIns
    refresh_s: float = 2.0
    _pods: list[dict[str, Any]] = field(default_factory=list)
    _fetched: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def pods(self) -> list[dict[str, Any]]:
        with self._lock:
            if time.monotonic() - self._fetched > self.refresh_s:
                s = self.standins
                self._pods = s.kubectl.json(
                    "get", "pods", "-n", s.namespace, "-l", f"flaskops.io/service={s.name}"
                )["items"]
                self._fetched = time.monotonic()
            return self._pods

    def collect(self) -> Iterator[Metric]:
        pods = self.pods()
        labels = ["namespace", "pod", "container"]
        requests = GaugeMetricFamily(
            "kube_pod_container_resource_requests", "", labels=[*labels, "resource", "unit"]
        )
        limits = GaugeMetricFamily(
            "kube_pod_container_resource_limits", "", labels=[*labels, "resource", "unit"]
        )
        restarts = CounterMetricFamily("kube_pod_container_status_restarts", "", labels=labels)
        cpu = CounterMetricFamily("container_cpu_usage_seconds", "", labels=labels)
        memory = GaugeMetricFamily("container_memory_working_set_bytes", "", labels=labels)
        per_track: dict[str, int] = {}
        for pod in pods:
            track = pod["metadata"]["labels"].get("flaskops.io/track", "stable")
            per_track[track] = per_track.get(track, 0) + 1
        tracks = dict(self.standins.tracks)
        for pod in pods:
            meta, spec = pod["metadata"], pod["spec"]
            track = meta["labels"].get("flaskops.io/track", "stable")
            statuses = {
                c["name"]: c for c in (pod.get("status") or {}).get("containerStatuses") or []
            }
            for c in spec["containers"]:
                key = [meta["namespace"], meta["name"], c["name"]]
                res = c.get("resources") or {}
                for family, kind in ((requests, "requests"), (limits, "limits")):
                    for resource, qty in (res.get(kind) or {}).items():
                        unit = "core" if resource == "cpu" else "byte"
                        family.add_metric([*key, resource, unit], float(parse_quantity(qty)))
                restarts.add_metric(key, float(statuses.get(c["name"], {}).get("restartCount", 0)))
                running = tracks.get(track)
                if running is not None and running.service.proc.poll() is None:
                    seconds, rss = usage(running.service.proc.pid)
                    cpu.add_metric(key, seconds / per_track[track])
                    memory.add_metric(key, rss / per_track[track])
        yield from (requests, limits, restarts, cpu, memory)

    def start(self) -> str:
        registry = CollectorRegistry()
        registry.register(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), MetricsHandler.factory(registry))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
