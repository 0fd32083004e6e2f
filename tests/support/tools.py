"""Locate the pinned binaries; a missing one fails the test naming the target that builds it."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# binary -> (explicit override variable, make target that provides it)
_SOURCES: dict[str, tuple[str, str]] = {
    "kube-apiserver": ("TEST_ASSET_KUBE_APISERVER", "make tools"),
    "etcd": ("TEST_ASSET_ETCD", "make tools"),
    "kubectl": ("TEST_ASSET_KUBECTL", "make tools"),
    "kwokctl": ("KWOKCTL", "make tools"),
    "helm": ("HELM", "make tools"),
    "prometheus": ("PROMETHEUS", "make tools"),
    "promtool": ("PROMTOOL", "make tools"),
    "otelcol-gateway": ("OTELCOL_GATEWAY", "make tools"),
    "jaeger": ("JAEGER", "make tools"),
    "wrk": ("WRK", "apt-get install wrk (done by .ci/run)"),
    "curl": ("CURL", "apt-get install curl (done by .ci/run)"),
    "vegeta": ("VEGETA", "make tools"),
    "actionlint": ("ACTIONLINT", "make tools"),
    "registry": ("DISTRIBUTION_REGISTRY", "make tools"),
    "kustomize-controller": ("KUSTOMIZE_CONTROLLER", "make tools"),
    "shellcheck": ("SHELLCHECK", "apt-get install shellcheck (done by .ci/run)"),
    "git": ("GIT", "apt-get install git (done by .ci/run)"),
    "go": ("GO", "the Go toolchain (.ci/run requires it)"),
    "gpg": ("GPG", "apt-get install gnupg (done by .ci/run)"),
    "redis-server": ("REDIS_SERVER", "apt-get install redis-server (done by .ci/run)"),
}


@functools.cache
def tools_bindir() -> Path:
    out = subprocess.run(
        ["bash", str(REPO / "hack/tools.sh"), "bindir"], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def find(name: str) -> str | None:
    """Explicit variable, then KUBEBUILDER_ASSETS, then the pinned cache, then PATH."""
    override, _ = _SOURCES.get(name, ("", ""))
    if override and os.environ.get(override):
        return os.environ[override]
    candidates = []
    if os.environ.get("KUBEBUILDER_ASSETS"):
        candidates.append(Path(os.environ["KUBEBUILDER_ASSETS"]) / name)
    candidates.append(tools_bindir() / name)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    return shutil.which(name)


def require(name: str) -> str:
    path = find(name)
    if path is None:
        _, target = _SOURCES.get(name, ("", "make tools"))
        pytest.fail(f"required binary {name!r} not found; provide it with: {target}", pytrace=False)
    return path


@functools.cache
def crds_dir(which: str = "") -> Path:
    """Third-party CRDs from hack/crds.sh: the charts' (ServiceMonitor, PodMonitor,
    PrometheusRule, Gateway API), or with "gitops" examples/gitops/'s (Flux, Argo CD)."""
    proc = subprocess.run(
        ["bash", str(REPO / "hack/crds.sh"), *filter(None, [which])],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"third-party CRDs unavailable ({proc.stderr.strip()}); run: make tools")
    return Path(proc.stdout.strip().splitlines()[-1])
