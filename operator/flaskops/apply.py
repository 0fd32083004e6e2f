"""Server-side apply of rendered objects, owned by their FlaskService, and pruning.

Every applied object gets an owner reference to the FlaskService (so deleting it
garbage-collects the children, operator running or not) and the label
`flaskops.io/flaskservice`, which is how objects no longer rendered are found and pruned.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flaskops.kube import Kube

FIELD_MANAGER = "flaskops"
OWNER_LABEL = "flaskops.io/flaskservice"

# Everything the chart can render; pruning looks only here, so this list and the
# operator's RBAC (charts/flaskops-operator) must agree.
PRUNABLE: tuple[tuple[str, str], ...] = (
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owner:
    api_version: str
    kind: str
    name: str
    namespace: str
    uid: str


def owned(obj: Mapping[str, Any], owner: Owner) -> dict[str, Any]:
    """A copy of obj in owner's namespace, labelled and owned by it."""
    out = copy.deepcopy(dict(obj))
    meta = out.setdefault("metadata", {})
    meta["namespace"] = owner.namespace
    meta.setdefault("labels", {})[OWNER_LABEL] = owner.name
    meta["ownerReferences"] = [
        {
            "apiVersion": owner.api_version,
            "kind": owner.kind,
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    return out


def identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    return (obj["apiVersion"], obj["kind"], obj["metadata"]["name"])


class Applier:
    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    def apply(self, objects: Iterable[Mapping[str, Any]], owner: Owner) -> list[dict[str, Any]]:
        return [self.kube.apply(owned(obj, owner), FIELD_MANAGER) for obj in objects]

    def prune(self, keep: Iterable[Mapping[str, Any]], owner: Owner) -> list[tuple[str, str, str]]:
        """Delete owned objects that are not in `keep`; returns what was deleted."""
        wanted = {identity(o) for o in keep}
        deleted = []
        for api_version, kind in PRUNABLE:
            if not self.kube.served(api_version, kind):
                continue
            for item in self.kube.list(
                api_version, kind, owner.namespace, f"{OWNER_LABEL}={owner.name}"
            ):
                refs = item["metadata"].get("ownerReferences") or []
                if not any(r.get("uid") == owner.uid for r in refs):
                    continue  # same label, different owner: never ours to delete
                key = (api_version, kind, item["metadata"]["name"])
                if key in wanted:
                    continue
                if self.kube.delete(api_version, kind, key[2], owner.namespace):
                    log.info("pruned %s %s/%s", kind, owner.namespace, key[2])
                    deleted.append(key)
        return deleted
