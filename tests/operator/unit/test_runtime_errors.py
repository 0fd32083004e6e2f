"""A reconcile whose status write fails is a reconcile error: counted under its exception's
type (what the FlaskopsReconcileErrors alert and the operator dashboard read) and retried
in 5 s, like one whose apply fails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flaskops import metrics
from flaskops.reconcile import Result
from flaskops.runtime import Runtime
from prometheus_client import REGISTRY


class StatusForbiddenError(Exception):
    """Stands for the apiserver's 403 on flaskservices/status (RBAC revoked)."""


@dataclass
class Kube:
    patched: list[dict[str, Any]] = field(default_factory=list)
    forbid_status: bool = False

    def patch_status(self, *_: Any) -> dict[str, Any]:
        if self.forbid_status:
            raise StatusForbiddenError("cannot patch resource flaskservices/status")
        return {}


@dataclass
class Renderer:
    renders: int = 0


@dataclass
class Reconciler:
    renderer: Renderer = field(default_factory=Renderer)

    def reconcile(self, body: dict[str, Any], seen: Any) -> Result:
        return Result({"phase": "Ready"}, [], requeue_after=None)


def errors() -> float:
    value = REGISTRY.get_sample_value(
        "flaskops_reconcile_errors_total", {"reason": StatusForbiddenError.__name__}
    )
    return value or 0.0


def body() -> dict[str, Any]:
    meta = {"namespace": f"ns-{uuid.uuid4().hex[:6]}", "name": "web", "uid": "u-1"}
    return {"metadata": meta, "spec": {}, "status": {"phase": "Progressing"}}


def test_a_forbidden_status_patch_counts_as_a_reconcile_error_and_retries() -> None:
    kube = Kube(forbid_status=True)
    runtime = Runtime(kube, Reconciler())  # type: ignore[arg-type]
    before = errors()
    obj = body()
    assert runtime.reconcile_and_report(obj) == 5.0
    assert runtime.reconcile_and_report(obj) == 5.0
    assert errors() == before + 2
    assert runtime.written == {}
    metrics.forget(obj["metadata"]["namespace"], "web")


def test_a_written_status_is_no_error() -> None:
    runtime = Runtime(Kube(), Reconciler())  # type: ignore[arg-type]
    before = errors()
    obj = body()
    assert runtime.reconcile_and_report(obj) is None
    assert errors() == before
    assert runtime.written == {"u-1": {}}
    metrics.forget(obj["metadata"]["namespace"], "web")
