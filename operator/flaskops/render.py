"""Render the pinned flask-service chart with helm, as Argo CD's repo-server does.

helm is the one templating engine: the operator never re-implements the chart. Results
are cached by a hash of (chart content, values, API versions), so a reconcile with nothing
changed costs no subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser (PyYAML's wheels bundle it) with the safe constructor: the same objects
# as yaml.safe_load, several times faster, and far less short-lived garbage per render,
# which at 1,000 FlaskServices created at once raised the operator's peak RSS.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderError(Exception):
    """helm refused the values or the chart; the message is helm's own."""


def default_chart() -> Path:
    """FLASKOPS_CHART, else the chart baked into the image, else the repository's."""
    if os.environ.get("FLASKOPS_CHART"):
        return Path(os.environ["FLASKOPS_CHART"])
    baked = Path("/opt/flaskops/charts/flask-service")
    if baked.is_dir():
        return baked
    return Path(__file__).resolve().parents[2] / "charts/flask-service"


def chart_digest(chart: Path) -> str:
    """Content hash of the chart directory, including its packaged dependencies."""
    h = hashlib.sha256()
    for path in sorted(p for p in chart.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(chart)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Renderer:
    chart: Path
    helm: str = "helm"
    api_versions: tuple[str, ...] = ()
    # Entries per track render (stable, canary, preview): enough for a few thousand
    # FlaskServices. A cache smaller than the services re-rendered every service on each of
    # its reconciles (at 300, with 256: 0.5 CPU-s per service created). Entries are
    # compressed JSON, about 3 KB each.
    cache_size: int = 8192

    def __post_init__(self) -> None:
        if shutil.which(self.helm) is None and not Path(self.helm).is_file():
            raise RuntimeError(f"helm binary {self.helm!r} not found (set FLASKOPS_HELM)")
        self.digest = chart_digest(self.chart)
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self.renders = 0  # subprocess calls, for metrics and tests

    def key(self, release: str, namespace: str, values: Mapping[str, Any]) -> str:
        blob = json.dumps(
            [self.digest, release, namespace, values, sorted(self.api_versions)], sort_keys=True
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def render(
        self, release: str, namespace: str, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The chart's objects, each call its own copy (callers may change them)."""
        key = self.key(release, namespace, values)
        packed = self._cache.get(key)
        if packed is not None:
            self._cache.move_to_end(key)
            return list(json.loads(zlib.decompress(packed)))
        objects = self._helm_template(release, namespace, values)
        try:
            blob = json.dumps(objects, separators=(",", ":")).encode()
        except (TypeError, ValueError):
            return objects  # a YAML type JSON lacks (a timestamp): not cached
        self._cache[key] = zlib.compress(blob, 1)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return list(json.loads(blob))

    def _helm_template(
        self, release: str, namespace: str, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as fh:
            json.dump(values, fh)
            fh.flush()
            argv = [
                self.helm, "template", release, str(self.chart),
                "--namespace", namespace, "--values", fh.name, "--no-hooks",
                *(f"--api-versions={v}" for v in self.api_versions),
            ]  # fmt: skip
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.renders += 1
        if proc.returncode != 0:
            raise RenderError(_helm_message(proc.stderr))
        return [doc for doc in yaml.load_all(proc.stdout, Loader=SAFE_LOADER) if doc]


def _helm_message(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return "\n".join(lines[-10:]) or "helm template failed without a message"


def api_versions_for(group_versions: Iterable[str]) -> tuple[str, ...]:
    """The optional APIs the chart checks with .Capabilities.APIVersions.Has."""
    wanted = ("monitoring.coreos.com/v1", "gateway.networking.k8s.io/v1", "autoscaling/v2")
    present = set(group_versions)
    return tuple(v for v in wanted if v in present)
