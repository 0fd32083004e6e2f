"""The local control plane's audit log (hack/audit-policy.yaml): the API server's own record
of who asked what, used to count an operator's requests and time what it reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


def audit_log_path(kubeconfig: Path) -> Path:
    """kwokctl keeps a cluster's logs next to its kubeconfig."""
    return kubeconfig.parent / "logs" / "audit.log"


def timestamp(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["stageTimestamp"].replace("Z", "+00:00")).timestamp()


@dataclass
class AuditLog:
    path: Path

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def events(self, since: int = 0, user: str | None = None) -> list[dict[str, Any]]:
        """Completed requests since the mark (a watch completes when it ends)."""
        if not self.path.exists():
            raise AssertionError(
                f"no audit log at {self.path}: the cluster must be created by hack/cluster.sh "
                "(which passes --kube-audit-policy hack/audit-policy.yaml)"
            )
        with self.path.open("rb") as fh:
            fh.seek(since)
            lines = fh.read().splitlines()
        out = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if event.get("stage") != "ResponseComplete":
                continue
            if user is not None and event.get("user", {}).get("username") != user:
                continue
            out.append(event)
        return out


def describe(event: dict[str, Any]) -> str:
    return f"{event.get('verb')} {event.get('requestURI')}"


def serviceaccount_user(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"
