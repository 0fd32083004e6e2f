"""The services' READMEs are runnable: the `bash` blocks of their "Run it locally" section
run as written (ports moved to free ones), and print what the README says they print."""

from __future__ import annotations

import re

from tests.articles.runner import bash_blocks, run_readme
from tests.support.services import SERVICES_DIR


def run_it_locally(service: str) -> str:
    return run_readme(bash_blocks(SERVICES_DIR / service / "README.md", "Run it locally"))


def test_catalog_readme_runs() -> None:
    out = run_it_locally("catalog")
    assert '{"id":3,"name":"burr grinder","price_cents":14900}' in out
    assert '{"detail":"no item 42","error":"Not Found"}' in out
    assert (
        'flask_http_request_total{method="GET",path="/items/<int:item_id>",status="404"} 1.0' in out
    )
    assert 'flask_exporter_info{service="catalog",version="1.4.0"} 1.0' in out


def test_orders_readme_runs() -> None:
    out = run_it_locally("orders")
    assert '{"checks":{"catalog":"ok"},"status":"ok"}' in out
    assert '"total_cents":29800' in out
    assert (
        'flask_http_request_total{method="GET",path="/orders/<int:order_id>",status="200"} 1.0'
        in out
    )
    # The fault knob: every second request fails (the services' logs interleave with curl).
    assert re.findall(r"^(\d{3})$", out, re.M) == ["200", "500", "200", "500"]
