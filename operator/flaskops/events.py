"""Rollout Events, exactly once per transition even when the operator dies mid-report.

An Event is written before the status that records its transition, under a name derived
from the object, the reason and the rollout state the transition leads to. A crash between
the two repeats the transition after a restart, and with it the same Event name: the
server-side apply updates that one Event instead of adding a second. (kopf.event would post
later from a queue, under a random name: lost or doubled on a crash.)
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flaskops.kube import Kube
from flaskops.rollout import Event

FIELD_MANAGER = "flaskops"


def event_name(meta: Mapping[str, Any], event: Event, status: Mapping[str, Any]) -> str:
    rollout = status.get("rollout") or {}
    outcome = {k: (rollout.get(k) or {}).get("id") for k in ("stable", "canary", "failedRevision")}
    counts = [rollout.get(k) for k in ("step", "failedChecks", "inconclusiveChecks")]
    key = json.dumps([meta["uid"], event.reason, outcome, counts], sort_keys=True)
    return f"{meta['name']}.{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def event_body(
    body: Mapping[str, Any], event: Event, status: Mapping[str, Any], now: float
) -> dict[str, Any]:
    meta = body["metadata"]
    when = datetime.fromtimestamp(now, UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name(meta, event, status), "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": body["apiVersion"],
            "kind": body["kind"],
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
        },
        "type": str(event.type),
        "reason": event.reason,
        "message": event.message[:1024],
        "source": {"component": "flaskops"},
        "reportingComponent": "flaskops.io/operator",
        # eventTime (microseconds) orders two Events of one reconcile, which the
        # second-precision timestamps cannot; the API then requires instance and action.
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingInstance": socket.gethostname()[:128],
        "action": "Rollout",
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def post(
    kube: Kube, body: Mapping[str, Any], event: Event, status: Mapping[str, Any], now: float
) -> None:
    kube.apply(event_body(body, event, status, now), FIELD_MANAGER)
