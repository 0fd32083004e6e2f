"""A real Jaeger (v2 all-in-one, built by `make tools`) on loopback ports, in-memory storage.

It receives OTLP/gRPC on `otlp_endpoint` and answers the query API its UI uses
(`/api/traces?service=...`) on `url`. `traces()` flattens the API's answer into the same
`Span` records the collector fixture gives, so tests read both the same way.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.otel import Span
from tests.support.process import stop, wait_until_ready
from tests.support.prometheus import free_port

# Jaeger's span.kind tag -> the OTLP enum value the collector fixture reports.
_KINDS = {"internal": "1", "server": "2", "client": "3", "producer": "4", "consumer": "5"}


def jaeger_config(otlp_port: int, query_port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "extensions": {
            "jaeger_storage": {"backends": {"memory": {"memory": {"max_traces": 100000}}}},
            "jaeger_query": {
                "storage": {"traces": "memory"},
                "http": {"endpoint": f"{host}:{query_port}"},
                # gRPC query API: a free port too, so parallel runs never clash on 16685.
                "grpc": {"endpoint": f"{host}:{free_port()}"},
            },
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{host}:{otlp_port}"}}}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "memory"}},
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query"],
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {
                "traces": {"receivers": ["otlp"], "exporters": ["jaeger_storage_exporter"]}
            },
        },
    }


def _tags(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {t["key"]: t.get("value") for t in items or []}


def flatten(trace: dict[str, Any]) -> list[Span]:
    """One trace of /api/traces as Span records (resource = the span's process tags)."""
    processes = trace.get("processes") or {}
    out = []
    for s in trace.get("spans") or []:
        process = processes.get(s.get("processID"), {})
        resource = {"service.name": process.get("serviceName"), **_tags(process.get("tags"))}
        tags = _tags(s.get("tags"))
        parents = [r["spanID"] for r in s.get("references") or [] if r["refType"] == "CHILD_OF"]
        out.append(
            Span(
                trace_id=s["traceID"],
                span_id=s["spanID"],
                parent_span_id=parents[0] if parents else "",
                name=s["operationName"],
                kind=_KINDS.get(str(tags.get("span.kind")), ""),
                attributes=tags,
                resource=resource,
            )
        )
    return out


class Jaeger:
    def __init__(self, binary: str, workdir: Path, host: str = "127.0.0.1") -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        otlp_port, query_port = free_port(), free_port()
        self.otlp_endpoint = f"{host}:{otlp_port}"
        self.url = f"http://{host}:{query_port}"
        config = workdir / "jaeger.yaml"
        config.write_text(yaml.safe_dump(jaeger_config(otlp_port, query_port, host)))
        self.log_path = workdir / "jaeger.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [binary, f"--config={config}"], stdout=self._log, stderr=subprocess.STDOUT
        )
        wait_until_ready(
            self.proc,
            lambda: requests.get(f"{self.url}/api/services", timeout=1).ok,
            "jaeger",
            self.log_path,
        )

    def services(self) -> list[str]:
        resp = requests.get(f"{self.url}/api/services", timeout=5)
        resp.raise_for_status()
        return list(resp.json().get("data") or [])

    def traces(self, service: str, limit: int = 20) -> list[list[Span]]:
        """The service's recent traces (the UI's search), each as its spans."""
        resp = requests.get(
            f"{self.url}/api/traces", params={"service": service, "limit": limit}, timeout=5
        )
        resp.raise_for_status()
        return [flatten(t) for t in resp.json().get("data") or []]

    def wait_for_trace(
        self, service: str, predicate: Callable[[list[Span]], bool], timeout: float = 30
    ) -> list[Span]:
        deadline = time.monotonic() + timeout
        traces: list[list[Span]] = []
        while time.monotonic() < deadline:
            try:
                traces = self.traces(service)
            except requests.RequestException:
                traces = []
            for trace in traces:
                if predicate(trace):
                    return trace
            time.sleep(0.3)
        raise AssertionError(f"no matching trace of {service!r} in Jaeger; have: {traces[:3]}")

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()
