"""Read what the operator needs from the cluster: children readiness, referenced content.

Secret content is only ever hashed here; it is never logged or stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from flaskops.kube import Kube
from flaskops.rollout import Commands, Observed
from flaskops.tracks import REVISION_ANNOTATION

PROMOTE_ANNOTATION = "flaskops.io/promote"
ABORT_ANNOTATION = "flaskops.io/abort"


@dataclass(frozen=True)
class TrackStatus:
    exists: bool
    ready: bool
    ready_replicas: int
    replicas: int
    revision: str | None


ABSENT = TrackStatus(False, False, 0, 0, None)


def deployment_status(kube: Kube, namespace: str, name: str) -> TrackStatus:
    d = kube.get("apps/v1", "Deployment", name, namespace)
    if d is None:
        return ABSENT
    spec, st = d.get("spec") or {}, d.get("status") or {}
    want = spec.get("replicas", 1)
    ready = (
        st.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)
        and st.get("updatedReplicas", 0) == want
        and st.get("readyReplicas", 0) == want
        and st.get("replicas", 0) == want  # no pods of an older template left
    )
    annotations = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
    return TrackStatus(
        True, ready, st.get("readyReplicas", 0), want, annotations.get(REVISION_ANNOTATION)
    )


def observed(stable: TrackStatus, canary: TrackStatus, preview: TrackStatus = ABSENT) -> Observed:
    return Observed(
        stable_ready=stable.ready,
        canary_ready=canary.ready,
        stable_revision=stable.revision,
        preview_ready=preview.ready,
        stable_replicas=stable.replicas,
    )


def effective_weight(traffic: str, weight: int, stable: TrackStatus, canary: TrackStatus) -> int:
    """The canary share actually achieved. With the replica split that is the canary's share of
    ready pods (whole pods, whatever was asked); route weights are exact."""
    if not canary.exists or weight == 0:
        return 0
    if traffic != "replicas":
        return weight
    total = stable.ready_replicas + canary.ready_replicas
    return round(100 * canary.ready_replicas / total) if total else 0


def referenced_content(
    kube: Kube, namespace: str, configmaps: set[str], secrets: set[str]
) -> dict[str, str | None]:
    """kind/name -> content digest (None when missing), for ConfigMaps and Secrets."""
    out: dict[str, str | None] = {}
    for kind, names in (("ConfigMap", configmaps), ("Secret", secrets)):
        for name in sorted(names):
            obj = kube.get("v1", kind, name, namespace)
            data = (
                None
                if obj is None
                else {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
            )
            out[f"{kind}/{name}"] = _digest(data)
    return out


def _digest(data: Mapping[str, str] | None) -> str | None:
    if data is None:
        return None
    h = hashlib.sha256()
    for key in sorted(data):
        h.update(key.encode() + b"\0" + str(data[key]).encode() + b"\0")
    return h.hexdigest()


def commands(annotations: Mapping[str, str]) -> Commands:
    return Commands(
        promote=annotations.get(PROMOTE_ANNOTATION) or None,
        abort=annotations.get(ABORT_ANNOTATION) or None,
    )
