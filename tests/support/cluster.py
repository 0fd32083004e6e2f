"""One local control plane per test run, shared by every pytest-xdist worker.

The first worker that needs the cluster creates it (under a file lock); the controlling
pytest process deletes it when the run ends. FLASKOPS_TEST_KUBECONFIG points the suites at
an existing cluster instead, which is then left running.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.tools import REPO, require

CLUSTER_SCRIPT = REPO / "hack/cluster.sh"


def cluster_name(run_id: str) -> str:
    return f"flaskops-test-{run_id[:8]}"


@contextmanager
def locked(name: str) -> Iterator[None]:
    """A file lock shared by the pytest-xdist workers of this machine."""
    lock = Path(tempfile.gettempdir()) / f"flaskops-{name}.lock"
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_cluster(name: str) -> Path:
    """Create the cluster if needed and return its kubeconfig."""
    if os.environ.get("FLASKOPS_TEST_KUBECONFIG"):
        return Path(os.environ["FLASKOPS_TEST_KUBECONFIG"])
    for binary in ("kwokctl", "kubectl", "kube-apiserver", "etcd"):
        require(binary)
    with locked(name):
        proc = subprocess.run(
            ["bash", str(CLUSTER_SCRIPT), "up", name], capture_output=True, text=True, timeout=300
        )
    if proc.returncode != 0:
        raise RuntimeError(f"cluster {name} failed to start:\n{proc.stderr}")
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("export KUBECONFIG="), last
    return Path(last.removeprefix("export KUBECONFIG="))


def delete_cluster(name: str) -> None:
    if os.environ.get("FLASKOPS_TEST_KUBECONFIG"):
        return
    subprocess.run(["bash", str(CLUSTER_SCRIPT), "down", name], capture_output=True, timeout=120)
