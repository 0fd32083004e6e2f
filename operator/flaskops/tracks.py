"""From a FlaskService spec to the chart values for the stable, canary and preview tracks (pure).

A revision is what a track runs: the image plus everything else that a canary isolates
(env, the chart-created ConfigMap's data, and the content of referenced ConfigMaps and
Secrets). Each revision's own values are remembered in status (`trackValues`), because
while a canary runs the spec already describes the new revision and the stable track must
keep rendering the old one. Every other value (resources, probes, autoscaling, ...) applies
to both tracks at once.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from flaskops.rollout import Policy, RenderPlan, Revision, Strategy

REVISION_ANNOTATION = "flaskops.io/revision"
# The same id as a pod label: the monitors relabel it to `revision`, so a track's analysis
# reads its own revision's series only, never a previous canary's that share track="canary"
# and are still inside the rate() window (Argo Rollouts' pod-template-hash, for flaskops).
# Never part of a Deployment selector (immutable): the chart keeps it out.
REVISION_LABEL = "flaskops.io/revision"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def chart_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec without the operator's own `rollout` section: plain chart values."""
    return {k: copy.deepcopy(v) for k, v in spec.items() if k != "rollout"}


def track_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The per-revision part of the values."""
    config = spec.get("config") or {}
    return {
        "image": copy.deepcopy(spec.get("image") or {}),
        "env": copy.deepcopy(spec.get("env") or []),
        "config": {"data": copy.deepcopy(config.get("data") or {})},
    }


def image_ref(image: Mapping[str, Any]) -> str:
    repo = str(image.get("repository", ""))
    if image.get("digest"):
        return f"{repo}@{image['digest']}"
    return f"{repo}:{image.get('tag') or 'latest'}"


def referenced_objects(spec: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Names of the ConfigMaps and Secrets whose content shapes the pods."""
    configmaps: set[str] = set()
    secrets: set[str] = set()
    if (spec.get("config") or {}).get("existingConfigMap"):
        configmaps.add(spec["config"]["existingConfigMap"])
    if (spec.get("secret") or {}).get("existingSecret"):
        secrets.add(spec["secret"]["existingSecret"])
    for source in spec.get("envFrom") or []:
        if "configMapRef" in source:
            configmaps.add(source["configMapRef"]["name"])
        if "secretRef" in source:
            secrets.add(source["secretRef"]["name"])
    for var in spec.get("env") or []:
        ref = var.get("valueFrom") or {}
        if "configMapKeyRef" in ref:
            configmaps.add(ref["configMapKeyRef"]["name"])
        if "secretKeyRef" in ref:
            secrets.add(ref["secretKeyRef"]["name"])
    return configmaps, secrets


def desired_revision(spec: Mapping[str, Any], referenced_digest: str) -> Revision:
    """`referenced_digest` folds in the content of the referenced ConfigMaps and Secrets."""
    values = track_values(spec)
    digest = hashlib.sha256(
        _canonical(
            {"env": values["env"], "config": values["config"], "referenced": referenced_digest}
        ).encode()
    ).hexdigest()
    return Revision(image=image_ref(values["image"]), config_hash=digest[:16])


def content_digest(objects: Mapping[str, Any]) -> str:
    """Digest of ConfigMap/Secret data by name; a missing object counts as its own value."""
    return hashlib.sha256(_canonical(dict(objects)).encode()).hexdigest()[:16]


def render_values(
    spec: Mapping[str, Any],
    plan: RenderPlan,
    policy_traffic: str,
    remembered: Mapping[str, Mapping[str, Any]],
    canary_ready: bool = True,
) -> dict[str, Any]:
    """Chart values for the plan: the stable track from its remembered revision values and,
    during a canary, the canary track from the canary revision's.

    When a router splits traffic (gatewayAPI, nginx) and the canary's pods are not ready
    yet, the route gives it nothing: the router would answer its share with 503s. It is
    sized for the weight it gets once they are."""
    values = chart_values(spec)
    stable = remembered[plan.stable.id]
    values["image"] = copy.deepcopy(stable["image"])
    values["env"] = copy.deepcopy(stable["env"])
    # Only config.data is per revision; existingConfigMap stays as the spec says.
    values["config"] = {
        **(values.get("config") or {}),
        "data": copy.deepcopy(stable["config"]["data"]),
    }
    pod_annotations = dict(values.get("podAnnotations") or {})
    pod_annotations[REVISION_ANNOTATION] = plan.stable.id
    values["podAnnotations"] = pod_annotations
    pod_labels = dict(values.get("podLabels") or {})
    pod_labels[REVISION_LABEL] = plan.stable.id
    values["podLabels"] = pod_labels
    values["preview"] = _preview_values(plan, remembered)
    if plan.canary is None:
        values["canary"] = {"enabled": False}
        return values
    canary = remembered[plan.canary.id]
    values["canary"] = {
        "enabled": True,
        "image": canary["image"],
        "weight": plan.weight,
        "traffic": policy_traffic,
        "env": canary["env"],
        "config": canary["config"]["data"],
        "podAnnotations": {REVISION_ANNOTATION: plan.canary.id},
        "podLabels": {REVISION_LABEL: plan.canary.id},
    }
    if policy_traffic != "replicas" and not canary_ready:
        values["canary"]["weight"] = 0
        values["canary"]["replicaCount"] = routed_canary_size(values, plan.weight)
    return values


def routed_canary_size(values: Mapping[str, Any], weight: int) -> int:
    """The chart's canary size in routed modes (flask-lib.canary.plan): ceil(S * w / 100), at
    least 1, S the stable size (autoscaling.minReplicas with the HPA on)."""
    autoscaling = values.get("autoscaling") or {}
    if autoscaling.get("enabled"):
        base = int(autoscaling.get("minReplicas", 2))
    else:
        base = int(values.get("replicaCount", 2))
    return max(1, math.ceil(base * weight / 100))


def _preview_values(
    plan: RenderPlan, remembered: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    if plan.preview is None:
        return {"enabled": False}
    preview = remembered[plan.preview.id]
    return {
        "enabled": True,
        "active": plan.preview_active,
        "image": copy.deepcopy(preview["image"]),
        "replicaCount": plan.preview_replicas,
        "env": copy.deepcopy(preview["env"]),
        "config": copy.deepcopy(preview["config"]["data"]),
        "podAnnotations": {REVISION_ANNOTATION: plan.preview.id},
        "podLabels": {REVISION_LABEL: plan.preview.id},
    }


def traffic_mode(spec: Mapping[str, Any]) -> str:
    return str(((spec.get("rollout") or {}).get("canary") or {}).get("traffic", "replicas"))


def policy(spec: Mapping[str, Any]) -> Policy:
    """Without a rollout section there is nothing to analyse with: plain rolling updates."""
    if not spec.get("rollout"):
        return Policy(strategy=Strategy.ROLLING)
    return Policy.from_spec(spec["rollout"])
