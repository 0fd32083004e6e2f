"""Pre-promotion requests against a real HTTP server on loopback: pass, fail, unreachable."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flaskops.prepromotion import PrePromotion, send
from flaskops.rollout import Outcome

from tests.support.prometheus import free_port


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """/ok answers 200, /flaky 200 then 500 alternately; every request line is recorded."""
    seen: list[str] = []
    flips = itertools.cycle([200, 500])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            status = 200 if self.path == "/ok" else next(flips)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def spec(url: str, *requests: dict[str, Any]) -> dict[str, Any]:
    return {"rollout": {"blueGreen": {"prePromotion": {"url": url, "requests": list(requests)}}}}


def test_every_expected_status_passes_and_each_request_is_sent(
    server: tuple[str, list[str]],
) -> None:
    url, seen = server
    result = send(
        spec(url, {"path": "/ok", "count": 3}, {"path": "/ok", "method": "HEAD"}), "ns", "s"
    )
    assert result is not None
    assert result.name == "prePromotion"
    assert result.outcome is Outcome.PASS
    assert result.value == 100.0
    assert seen == ["GET /ok"] * 3 + ["HEAD /ok"]
    assert result.query == "GET /ok x3 -> 200, HEAD /ok x1 -> 200"


def test_an_unexpected_status_fails_naming_it(server: tuple[str, list[str]]) -> None:
    url, _ = server
    result = send(spec(url, {"path": "/flaky", "count": 4}), "ns", "s")
    assert result is not None
    assert result.outcome is Outcome.FAIL
    assert result.value == 50.0
    assert result.detail == "/flaky: HTTP 500 x2"


def test_no_answer_at_all_is_inconclusive() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = send(spec(url, {"path": "/ok"}), "ns", "s")
    assert result is not None
    assert result.outcome is Outcome.INCONCLUSIVE
    assert result.value is None
    assert result.detail.startswith(f"preview unreachable at {url}: ConnectionError")


def test_without_requests_there_is_no_check_and_the_default_url_is_the_preview_service() -> None:
    assert send({"rollout": {"strategy": "blueGreen"}}, "ns", "s") is None
    pre = PrePromotion.from_spec(
        {"service": {"port": 8080}, **spec("", {"path": "/items/1"})}, "shop", "catalog"
    )
    assert pre is not None
    assert pre.url == "http://catalog-preview.shop.svc:8080"
