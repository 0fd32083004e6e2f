"""Pre-promotion requests: what the operator sends a blue/green preview before each analysis.

Before the switch nobody but testers calls the preview, so the operator can call it itself
(spec.rollout.blueGreen.prePromotion.requests). The result is one check, `prePromotion`:
the share of responses with the expected status, which must be 100 %. The requests also
reach the preview's own metrics, so the Prometheus checks of later analyses see traffic.

Only safe methods (the CRD allows GET, HEAD, OPTIONS), no body, redirects not followed,
and nothing of a response is kept but its status code. Never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from flaskops.rollout import CheckResult, Outcome, parse_duration

CHECK_NAME = "prePromotion"


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    expect_status: int = 200
    count: int = 1


@dataclass(frozen=True)
class PrePromotion:
    url: str
    requests: tuple[Request, ...]
    timeout_s: float = 2.0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], namespace: str, name: str) -> PrePromotion | None:
        """None when the FlaskService asks for no pre-promotion requests."""
        section = ((spec.get("rollout") or {}).get("blueGreen") or {}).get("prePromotion") or {}
        entries = section.get("requests") or []
        if not entries:
            return None
        port = int((spec.get("service") or {}).get("port", 80))
        url = section.get("url") or f"http://{name}-preview.{namespace}.svc:{port}"
        return cls(
            url=str(url).rstrip("/"),
            requests=tuple(
                Request(
                    path=str(e["path"]),
                    method=str(e.get("method", "GET")),
                    expect_status=int(e.get("expectStatus", 200)),
                    count=int(e.get("count", 1)),
                )
                for e in entries
            ),
            timeout_s=parse_duration(section.get("timeout", 2.0)),
        )

    @property
    def summary(self) -> str:
        return ", ".join(
            f"{r.method} {r.path} x{r.count} -> {r.expect_status}" for r in self.requests
        )


def send(spec: Mapping[str, Any], namespace: str, name: str) -> CheckResult | None:
    """Send the configured requests to the preview; None when none are configured."""
    try:
        pre = PrePromotion.from_spec(spec, namespace, name)
    except (KeyError, TypeError, ValueError) as exc:
        return _result("", None, Outcome.INCONCLUSIVE, f"invalid prePromotion spec: {exc}")
    if pre is None:
        return None
    sent = answered = expected = 0
    unexpected: dict[str, int] = {}
    unreachable = ""
    with requests.Session() as session:
        for r in pre.requests:
            for _ in range(r.count):
                sent += 1
                try:
                    resp = session.request(
                        r.method, pre.url + r.path, timeout=pre.timeout_s, allow_redirects=False
                    )
                except requests.RequestException as exc:
                    unreachable = type(exc).__name__
                    key = f"{r.path}: {unreachable}"
                else:
                    resp.close()
                    answered += 1
                    if resp.status_code == r.expect_status:
                        expected += 1
                        continue
                    key = f"{r.path}: HTTP {resp.status_code}"
                unexpected[key] = unexpected.get(key, 0) + 1
    if answered == 0:
        # No answer at all proves nothing about the preview (it may be the network).
        detail = f"preview unreachable at {pre.url}: {unreachable}"
        return _result(pre.summary, None, Outcome.INCONCLUSIVE, detail)
    share = 100.0 * expected / sent
    detail = ", ".join(f"{k} x{n}" for k, n in sorted(unexpected.items()))
    outcome = Outcome.PASS if expected == sent else Outcome.FAIL
    return _result(pre.summary, share, outcome, detail)


def _result(query: str, value: float | None, outcome: Outcome, detail: str) -> CheckResult:
    return CheckResult(
        name=CHECK_NAME,
        query=query,
        value=value,
        threshold="100% expected status",
        outcome=outcome,
        detail=detail,
    )
