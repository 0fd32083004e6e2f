"""The README's first command: `make demo` runs a good and a bad release to the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.cluster import CLUSTER_SCRIPT
from tests.support.tools import REPO


@pytest.mark.cluster
@pytest.mark.xdist_group("demo")
def test_demo_promotes_the_good_release_and_rolls_back_the_bad_one() -> None:
    name = f"flaskops-demo-{os.environ.get('FLASKOPS_TEST_RUN', 'x')[:8]}"
    env = {**os.environ, "CLUSTER_NAME": name, "PYTHONUNBUFFERED": "1"}
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO / "hack/demo.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        subprocess.run(
            ["bash", str(CLUSTER_SCRIPT), "down", name], capture_output=True, timeout=120
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "1.1.0 canary to promotion" in out
    assert "1.2.0 first traffic to rollback" in out
    assert "stable track now: registry.example/catalog:1.1.0 (phase Failed)" in out
    assert "FAIL successRate" in out
    # The demo read its orders -> catalog trace back from Jaeger's query API.
    assert "Jaeger:     http://127.0.0.1:" in out
    assert re.search(r"Jaeger: trace [0-9a-f]{32} holds orders -> catalog \(\d+ spans", out), out
