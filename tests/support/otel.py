"""A real OpenTelemetry Collector (built by `make tools`) receiving OTLP/HTTP on loopback.

Received spans are written by the collector's file exporter as OTLP/JSON lines; `spans()`
reads them back flattened, with the resource attributes (service.name, service.version)
attached to every span.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.process import stop, wait_until_ready
from tests.support.prometheus import free_port


def _attrs(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        value = item.get("value", {})
        # OTLP/JSON wraps each value in its type: {"stringValue": ...}, {"intValue": "3"}...
        out[item["key"]] = next(iter(value.values()), None) if value else None
    return out


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: dict[str, Any] = field(hash=False)
    resource: dict[str, Any] = field(hash=False)
    scope: str = ""  # the instrumentation scope's name

    @property
    def service(self) -> str:
        return str(self.resource.get("service.name"))


class OtelCollector:
    def __init__(self, binary: str, workdir: Path, output: Path | None = None) -> None:
        """`output` defaults to a file in workdir; a benchmark passes /dev/null."""
        self.workdir = workdir
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.output = output or workdir / "traces.jsonl"
        config = {
            "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{self.port}"}}}},
            "exporters": {"file": {"path": str(self.output), "flush_interval": "100ms"}},
            "service": {
                # Its own metrics would listen on :8888 and clash between parallel runs.
                "telemetry": {"metrics": {"level": "none"}},
                "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["file"]}},
            },
        }
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
        self._log = (workdir / "collector.log").open("w")
        self.proc = subprocess.Popen(
            [binary, f"--config={workdir / 'config.yaml'}"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until_ready(self.proc, self._listening, "collector", workdir / "collector.log")

    def _listening(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def spans(self) -> list[Span]:
        if not self.output.exists():
            return []
        out = []
        for line in self.output.read_text().splitlines():
            if not line.strip():
                continue
            try:
                batch = json.loads(line)
            except json.JSONDecodeError:  # a line still being written
                continue
            for rs in batch.get("resourceSpans", []):
                resource = _attrs(rs.get("resource", {}).get("attributes"))
                for ss in rs.get("scopeSpans", []):
                    scope = ss.get("scope", {}).get("name", "")
                    for s in ss.get("spans", []):
                        out.append(
                            Span(
                                trace_id=s["traceId"],
                                span_id=s["spanId"],
                                parent_span_id=s.get("parentSpanId", ""),
                                name=s["name"],
                                kind=str(s.get("kind", "")),
                                attributes=_attrs(s.get("attributes")),
                                resource=resource,
                                scope=scope,
                            )
                        )
        return out

    def wait_for_spans(
        self, predicate: Callable[[list[Span]], bool], timeout: float = 30
    ) -> list[Span]:
        deadline = time.monotonic() + timeout
        spans: list[Span] = []
        while time.monotonic() < deadline:
            spans = self.spans()
            if predicate(spans):
                return spans
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for spans; have {len(spans)}: {spans[-10:]}")

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()
