"""The services' READMEs are runnable: the `bash` blocks of their "Run it locally" section
run as written (ports moved to free ones), and print what the README says they print."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from tests.support.prometheus import free_port
from tests.support.services import REPO, SERVICES_DIR

FENCE = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def run_it_locally(service: str) -> str:
    text = (SERVICES_DIR / service / "README.md").read_text()
    section = text.split("## Run it locally", 1)[1].split("\n## ", 1)[0]
    blocks = FENCE.findall(section)
    assert blocks, f"{service}/README.md has no bash block under 'Run it locally'"
    return "\n".join(blocks)


def run_script(script: str) -> str:
    ports = {p: str(free_port()) for p in sorted(set(re.findall(r"127\.0\.0\.1:(80\d\d)", script)))}
    script = re.sub(r"127\.0\.0\.1:(80\d\d)", lambda m: f"127.0.0.1:{ports[m[1]]}", script)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULT_", "PROMETHEUS_"))
    }
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"README commands did not finish:\n{out}\n{err}")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    return out


def test_catalog_readme_runs() -> None:
    out = run_script(run_it_locally("catalog"))
    assert '{"id":3,"name":"burr grinder","price_cents":14900}' in out
    assert '{"detail":"no item 42","error":"Not Found"}' in out
    assert (
        'flask_http_request_total{method="GET",path="/items/<int:item_id>",status="404"} 1.0' in out
    )
    assert 'flask_exporter_info{service="catalog",version="1.4.0"} 1.0' in out


def test_orders_readme_runs() -> None:
    out = run_script(run_it_locally("orders"))
    assert '{"checks":{"catalog":"ok"},"status":"ok"}' in out
    assert '"total_cents":29800' in out
    assert (
        'flask_http_request_total{method="GET",path="/orders/<int:order_id>",status="200"} 1.0'
        in out
    )
    # The fault knob: every second request fails (the services' logs interleave with curl).
    assert re.findall(r"^(\d{3})$", out, re.M) == ["200", "500", "200", "500"]
