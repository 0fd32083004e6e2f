"""A kube-proxy stand-in for one Service of a FlaskService, on a loopback port.

KWOK pods have no network, so nothing answers a Service's ClusterIP. `ServiceProxy` reads the
real Service object (its selector, watched through the API server) and forwards each request
to the gunicorn stand-in of the track that selector names (`flaskops.io/track`; without that
label, every live track in turn, as a Service spanning both tracks would). A load generator
such as vegeta can then hammer the Service and see what a client would see during a switch.

While the stand-in of the selected track is booting a new pod template (KWOK reports new
pods ready before their gunicorn stand-in is up), requests wait for it: the pods the old
process stands for no longer exist in the cluster's view.

Every forwarded request is recorded as (time chosen, track, version, status), in the order
the tracks were chosen, so a test can tell which version answered when.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from tests.support.standins import StandIns


@dataclass(frozen=True)
class Forwarded:
    at: float
    track: str
    version: str
    status: int


@dataclass
class ServiceProxy:
    standins: StandIns
    kubeconfig: Path
    service: str
    port: int = 0  # 0: the kernel picks one when the proxy is made
    records: list[Forwarded] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)  # every distinct track selected, in order
    _track: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _rr: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __post_init__(self) -> None:
        # Bound here, on a port the kernel picks: callers put `url` into specs before start(),
        # and a port chosen first and bound later can be taken by another process meanwhile.
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, body = proxy.forward(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def start(self) -> ServiceProxy:
        api = client.CoreV1Api(config.new_client_from_config(str(self.kubeconfig)))
        first = api.read_namespaced_service(self.service, self.standins.namespace)
        self._select(first.spec.selector or {})
        assert self._server is not None
        self._threads.append(
            threading.Thread(target=self._watch, args=(api,), daemon=True, name="svc-watch")
        )
        self._threads.append(
            threading.Thread(target=self._server.serve_forever, daemon=True, name="svc-proxy")
        )
        for t in self._threads:
            t.start()
        return self

    def _select(self, selector: dict[str, str]) -> None:
        track = selector.get("flaskops.io/track")
        with self._lock:
            self._track = track
            label = track or "all"
            if not self.selected or self.selected[-1] != label:
                self.selected.append(label)

    def _watch(self, api: client.CoreV1Api) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a dropped watch: open the next one
                for ev in watch.Watch().stream(
                    api.list_namespaced_service,
                    self.standins.namespace,
                    field_selector=f"metadata.name={self.service}",
                    timeout_seconds=5,
                ):
                    selector = ev["object"].spec.selector or {}
                    if selector.get("flaskops.io/track") != self._track:
                        # kube-proxy switches to the endpoints the cluster has now, but the
                        # stand-ins follow the Deployments only every period: catch them up
                        # first, or a switch made the moment a rollout is ready would reach
                        # the track's previous process (the old version).
                        self.standins.sync()
                    self._select(selector)
                    if self._stop.is_set():
                        return

    def _wanted(self) -> str | None:
        return self._track

    def _choose(self) -> tuple[str, dict[str, str], dict[str, str]]:
        urls, versions = self.standins.urls(), self.standins.versions()
        with self._lock:
            wanted = self._wanted()
            live = [t for t in ("stable", "preview", "canary") if t in urls]
            # A selected track not (yet) known to the stand-ins is one whose new pods KWOK
            # already reports ready: its requests wait below for the stand-in to catch up.
            candidates = [wanted] if wanted else live
            track = candidates[next(self._rr) % len(candidates)] if candidates else ""
        if track and track not in urls and (ending := self.standins.terminating_endpoint(track)):
            # No ready endpoint left: the terminating pods still serve (kube-proxy's fallback).
            urls = {**urls, track: ending[0]}
            versions = {**versions, track: ending[1]}
        return track, urls, versions

    def forward(self, path: str) -> tuple[int, bytes]:
        track, urls, versions = self._choose()
        deadline = time.monotonic() + 10
        while (
            track
            and (track not in urls or self.standins.is_booting(track))
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)  # the pods it stands for are new: wait for their stand-in
            # (a Service whose pods never come answers 503 after the deadline)
            track, urls, versions = self._choose()
        with self._lock:
            at = time.monotonic()
        status, body = 503, b"no endpoints\n"
        if track in urls:
            target = urlsplit(urls[track])
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                status, body = resp.status, resp.read()
            except OSError:
                status, body = 502, b"upstream failed\n"
            finally:
                conn.close()
        with self._lock:
            self.records.append(Forwarded(at, track, versions.get(track, ""), status))
        return status, body

    def versions_in_order(self) -> list[str]:
        """The versions that answered, in the order chosen, with repeats collapsed."""
        with self._lock:
            ordered = sorted(self.records, key=lambda r: r.at)
        out: list[str] = []
        for r in ordered:
            if r.version and (not out or out[-1] != r.version):
                out.append(r.version)
        return out

    def stop(self) -> None:
        self._stop.set()
        if self._server:
            if self._threads:  # serving: shutdown() would wait forever otherwise
                self._server.shutdown()
            self._server.server_close()


@dataclass
class GatewayProxy(ServiceProxy):
    """A Gateway stand-in for one HTTPRoute: each request goes to a backendRef Service picked
    by the route's weights (smooth weighted round robin), then to the track that Service's
    selector names. `service` is the route's name."""

    _backends: list[tuple[str, int]] = field(default_factory=list)  # (track or "", weight)
    _credit: dict[int, float] = field(default_factory=dict)

    def start(self) -> GatewayProxy:
        api = config.new_client_from_config(str(self.kubeconfig))
        self._refresh(api)
        self._threads.append(threading.Thread(target=self._poll, args=(api,), daemon=True))
        super_start = ServiceProxy.start
        # ServiceProxy.start watches a Service of this name; the route's own Service is fine.
        super_start(self)
        return self

    def _refresh(self, api: client.ApiClient) -> None:
        routes = client.CustomObjectsApi(api)
        core = client.CoreV1Api(api)
        ns = self.standins.namespace
        try:
            route = routes.get_namespaced_custom_object(
                "gateway.networking.k8s.io", "v1", ns, "httproutes", self.service
            )
        except ApiException:
            return
        backends = []
        for ref in route["spec"]["rules"][0]["backendRefs"]:
            svc = core.read_namespaced_service(ref["name"], ns)
            backends.append(((svc.spec.selector or {}).get("flaskops.io/track", ""), ref["weight"]))
        with self._lock:
            self._backends = backends

    def _poll(self, api: client.ApiClient) -> None:
        while not self._stop.wait(0.3):
            with contextlib.suppress(Exception):
                self._refresh(api)

    def _wanted(self) -> str | None:
        total = sum(w for _, w in self._backends)
        if not total:
            return None
        for i, (_, w) in enumerate(self._backends):
            self._credit[i] = self._credit.get(i, 0.0) + w
        best = max(range(len(self._backends)), key=lambda i: self._credit[i])
        self._credit[best] -= total
        return self._backends[best][0] or None
