"""Stand-ins for what a container engine would run: the pods of one FlaskService.

KWOK nodes make pods Ready without running anything. `StandIns` plays kubelet and
kube-proxy for one FlaskService on that cluster: for each track whose Deployment has ready
pods it runs the reference service under real gunicorn with the pod template's
environment (plain values and envFrom ConfigMaps, so fault knobs set in the spec act for
real), registers it with Prometheus under the labels the chart's monitors give real pods
(namespace, service, track, and revision from the flaskops.io/revision pod label), and
restarts it when the pod template changes. `Traffic`
sends requests to the tracks in the split the cluster objects describe: ready pods per
track (replicas mode), HTTPRoute backend weights (gatewayAPI) or the canary Ingress weight
(nginx). What is real: the apiserver, controllers, the operator, helm, gunicorn, Flask,
Prometheus and its queries. What stands in: one gunicorn per track instead of one per pod,
and this module instead of kube-proxy/ingress.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flaskops.tracks import REVISION_LABEL

from tests.support.kube import Kubectl
from tests.support.prometheus import Prometheus
from tests.support.services import RunningService, start_service

TRACKS = ("stable", "canary", "preview")
_SKIP_ENV = ("PROMETHEUS_MULTIPROC_DIR", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_RESOURCE_ATTRIBUTES")


@dataclass
class Track:
    key: str
    service: RunningService
    version: str
    started_at: float


@dataclass
class StandIns:
    kubectl: Kubectl
    prometheus: Prometheus
    namespace: str
    name: str
    app: str = "catalog"
    workers: int = 1
    log_dir: Path | None = None
    # Set over each pod's environment, e.g. where to send spans (the pods' own
    # OTEL_EXPORTER_OTLP_ENDPOINT names an in-cluster address no process here can reach).
    extra_env: dict[str, str] = field(default_factory=dict)
    # A retired process serves on this long, as a pod does through its preStop sleep while
    # the endpoints drop it; 0 stops it at once.
    drain_s: float = 0.0
    tracks: dict[str, Track] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sync_lock: threading.Lock = field(default_factory=threading.Lock)  # one sync at a time
    _draining: list[threading.Timer] = field(default_factory=list)
    booting: set[str] = field(default_factory=set)
    terminating: dict[str, tuple[str, str]] = field(default_factory=dict)  # track -> url, version

    def deployment_name(self, track: str) -> str:
        return self.name if track == "stable" else f"{self.name}-{track}"

    def _pod_env(self, deploy: dict[str, Any]) -> tuple[dict[str, str], str]:
        container = deploy["spec"]["template"]["spec"]["containers"][0]
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef")
            if ref:
                cm = self.kubectl.run(
                    "get", "configmap", ref["name"], "-n", self.namespace, "-o", "json", check=False
                )
                if cm.returncode == 0:
                    env.update(json.loads(cm.stdout).get("data") or {})
        for var in container.get("env") or []:
            value = var.get("value")
            if value is not None and "$(" not in value and var["name"] not in _SKIP_ENV:
                env[var["name"]] = value
        image = container["image"]
        version = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"
        env["SERVICE_VERSION"] = version
        env.setdefault("OTEL_TRACES_EXPORTER", "none")
        env.update(self.extra_env)
        return env, version

    def sync(self) -> None:
        """Follow the Deployments: a process per ready track, restarted on a new template.
        Called by the loop every period, and by a Service stand-in on a selector change."""
        with self._sync_lock:
            self._sync()

    def _sync(self) -> None:
        for track in TRACKS:
            proc = self.kubectl.run(
                "get",
                "deployment",
                self.deployment_name(track),
                "-n",
                self.namespace,
                "-o",
                "json",
                check=False,
            )
            deploy = None
            if proc.returncode == 0:
                deploy = json.loads(proc.stdout)
            ready = (deploy or {}).get("status", {}).get("readyReplicas", 0) if deploy else 0
            if not deploy or not ready:
                self._stop_track(track)
                continue
            env, version = self._pod_env(deploy)
            pod_labels = deploy["spec"]["template"]["metadata"].get("labels") or {}
            revision = pod_labels.get(REVISION_LABEL, "")
            key = repr((sorted(env.items()), revision))
            current = self.tracks.get(track)
            if current and current.key == key:
                continue
            # A new pod template: start the new process first, then retire the old one, as
            # a rolling update would. KWOK reports the new pods ready at once, while gunicorn
            # takes a moment to boot: until it has, the track is `booting` and a Service
            # stand-in holds its requests rather than send them to pods that are gone.
            with self._lock:
                self.booting.add(track)
            try:
                service = start_service(self.app, env, workers=self.workers, log_dir=self.log_dir)
            finally:
                with self._lock:
                    self.booting.discard(track)
            with self._lock:
                self.tracks[track] = Track(key, service, version, time.time())
            self.prometheus.add_target(
                f"{self.namespace}-{self.name}-{track}",
                f"127.0.0.1:{service.port}",
                self._target_labels(track, revision),
            )
            if current:
                self._retire(current.service)

    def _target_labels(self, track: str, revision: str) -> dict[str, str]:
        """What the chart's monitor relabelings give a real pod; no revision label on pods
        without one (helm-only installs), as a relabeling from an absent label drops it."""
        labels = {"namespace": self.namespace, "service": self.name, "track": track}
        if revision:
            labels["revision"] = revision
        return labels

    def _retire(self, service: RunningService, track: str = "", version: str = "") -> None:
        if self.drain_s <= 0:
            service.stop()
            return
        if track:
            # Terminating pods still serve (preStop): kube-proxy falls back to them while a
            # Service has no ready endpoints left.
            with self._lock:
                self.terminating[track] = (service.url, version)

        def stop() -> None:
            with self._lock:
                if self.terminating.get(track, ("", ""))[0] == service.url:
                    del self.terminating[track]
            service.stop()

        timer = threading.Timer(self.drain_s, stop)
        timer.daemon = True
        self._draining.append(timer)
        timer.start()

    def _stop_track(self, track: str) -> None:
        with self._lock:
            current = self.tracks.pop(track, None)
        if current:
            self.prometheus.remove_target(f"{self.namespace}-{self.name}-{track}")
            self._retire(current.service, track, current.version)

    def start(self, period: float = 0.5) -> StandIns:
        def loop() -> None:
            while not self._stop.wait(period):
                with contextlib.suppress(Exception):  # a transient apiserver error: next tick
                    self.sync()

        self.sync()
        self._thread = threading.Thread(target=loop, daemon=True, name=f"standins-{self.name}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        for track in list(self.tracks):
            self._stop_track(track)
        for timer in self._draining:
            timer.join(timeout=self.drain_s + 30)

    def urls(self) -> dict[str, str]:
        with self._lock:
            return {t: tr.service.url for t, tr in self.tracks.items()}

    def terminating_endpoint(self, track: str) -> tuple[str, str] | None:
        with self._lock:
            return self.terminating.get(track)

    def is_booting(self, track: str) -> bool:
        with self._lock:
            return track in self.booting

    def versions(self) -> dict[str, str]:
        with self._lock:
            return {t: tr.version for t, tr in self.tracks.items()}


def traffic_shares(kubectl: Kubectl, namespace: str, name: str, mode: str) -> dict[str, float]:
    """The split the cluster objects describe, as fractions per track."""

    def get(kind: str, obj: str) -> dict[str, Any] | None:
        proc = kubectl.run("get", kind, obj, "-n", namespace, "-o", "json", check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 else None

    canary = 0.0
    if mode == "replicas":
        ready = {
            t: ((get("deployment", n) or {}).get("status") or {}).get("readyReplicas", 0)
            for t, n in (("stable", name), ("canary", f"{name}-canary"))
        }
        total = sum(ready.values())
        canary = ready["canary"] / total if total else 0.0
    elif mode == "gatewayAPI":
        route = get("httproute", name) or {}
        refs = [
            r
            for rule in (route.get("spec") or {}).get("rules", [])
            for r in rule.get("backendRefs", [])
        ]
        total = sum(r.get("weight", 1) for r in refs)
        canary = (
            sum(r.get("weight", 1) for r in refs if r["name"].endswith("-canary")) / total
            if total
            else 0.0
        )
    elif mode == "nginx":
        ingress = get("ingress", f"{name}-canary") or {}
        annotations = (ingress.get("metadata") or {}).get("annotations") or {}
        canary = float(annotations.get("nginx.ingress.kubernetes.io/canary-weight", 0)) / 100
    return {"stable": 1.0 - canary, "canary": canary}


@dataclass
class Traffic:
    """A bounded load generator over the stand-ins, split like the cluster says."""

    standins: StandIns
    mode: str = "replicas"
    path: str = "/items/1"
    rate: float = 40.0  # requests per second
    max_seconds: float = 600.0
    counts: dict[tuple[str, str, int], int] = field(
        default_factory=dict
    )  # (track, version, status)
    first_seen: dict[tuple[str, str], float] = field(
        default_factory=dict
    )  # (track, version) -> time
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, daemon=True, name="traffic")
        self._thread.start()
        return self

    def _run(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + self.max_seconds
        shares = {"stable": 1.0, "canary": 0.0}
        credit = dict.fromkeys(TRACKS, 0.0)
        for i in itertools.count():
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            if i % 20 == 0:
                with contextlib.suppress(Exception):
                    shares = traffic_shares(
                        self.standins.kubectl,
                        self.standins.namespace,
                        self.standins.name,
                        self.mode,
                    )
            urls, versions = self.standins.urls(), self.standins.versions()
            # Smooth weighted round robin: exact shares without randomness.
            for t in TRACKS:
                credit[t] += shares.get(t, 0.0) if t in urls else 0.0
            live = [t for t in TRACKS if t in urls]
            if live:
                track = max(live, key=lambda t: credit[t])
                credit[track] -= sum(shares.get(t, 0.0) for t in live) or 1.0
                try:
                    status = session.get(urls[track] + self.path, timeout=5).status_code
                except requests.RequestException:
                    status = 0
                key = (track, versions.get(track, "?"))
                self.first_seen.setdefault(key, time.time())
                self.counts[(*key, status)] = self.counts.get((*key, status), 0) + 1
            self._stop.wait(1.0 / self.rate)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)


@contextlib.contextmanager
def serving(
    kubectl: Kubectl,
    prometheus: Prometheus,
    namespace: str,
    name: str,
    log_dir: Path,
    mode: str = "replicas",
) -> Iterator[Traffic]:
    """Stand-ins for a FlaskService's pods plus traffic split like the cluster says."""
    standins = StandIns(kubectl, prometheus, namespace, name, log_dir=log_dir).start()
    load = Traffic(standins, mode=mode).start()
    try:
        yield load
    finally:
        load.stop()
        standins.stop()
