"""Read what the operator needs from the cluster: children readiness, referenced content.

Secret content is only ever hashed here; it is never logged or stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flaskops.kube import Kube
from flaskops.rollout import Commands, Observed
from flaskops.tracks import REVISION_ANNOTATION, referenced_objects

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
    return ABSENT if d is None else track_status(d)


def track_status(d: Mapping[str, Any]) -> TrackStatus:
    """A Deployment's readiness as a track (pure: the body comes from a GET or a watch)."""
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


@dataclass(frozen=True)
class Observation:
    """What one reconcile reads from the cluster, gathered before it starts: the Deployments
    this FlaskService owns by name, and referenced ConfigMap/Secret digests by kind/name."""

    deployments: Mapping[str, TrackStatus] = field(default_factory=dict)
    referenced: Mapping[str, str | None] = field(default_factory=dict)

    def track(self, name: str) -> TrackStatus:
        return self.deployments.get(name, ABSENT)


def observe_api(kube: Kube, body: Mapping[str, Any]) -> Observation:
    """An Observation by GETs, for callers without watches (the watch-driven operator builds
    it from its indexes instead: flaskops.watch)."""
    meta, spec = body["metadata"], body.get("spec") or {}
    ns, name = meta["namespace"], meta["name"]
    configmaps, secrets = referenced_objects(spec)
    return Observation(
        deployments={
            n: deployment_status(kube, ns, n) for n in (name, f"{name}-canary", f"{name}-preview")
        },
        referenced=referenced_content(kube, ns, configmaps, secrets),
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
            out[f"{kind}/{name}"] = None if obj is None else data_digest(obj)
    return out


def data_digest(obj: Mapping[str, Any]) -> str:
    """SHA-256 over a ConfigMap's or Secret's data: the only thing kept of a Secret."""
    data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
    h = hashlib.sha256()
    for key in sorted(data):
        h.update(key.encode() + b"\0" + str(data[key]).encode() + b"\0")
    return h.hexdigest()


def commands(annotations: Mapping[str, str]) -> Commands:
    return Commands(
        promote=annotations.get(PROMOTE_ANNOTATION) or None,
        abort=annotations.get(ABORT_ANNOTATION) or None,
    )
