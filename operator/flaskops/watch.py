"""What the operator's watches keep, and the Observation a reconcile reads from it (pure).

kopf indexes hold one small value per watched object, never the object itself: a
Deployment's readiness as a track, a ConfigMap's or Secret's SHA-256. A reconcile reads
them instead of GETting its children, so an idle FlaskService costs no API request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flaskops.apply import OWNER_LABEL
from flaskops.observe import Observation, TrackStatus, data_digest, track_status
from flaskops.tracks import referenced_objects

SHARD_LABEL = "flaskops.io/shard"
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")

Key = tuple[str, str]  # (namespace, name)
# kopf's index view: key -> the values every object produced under that key.
IndexView = Mapping[Any, Iterable[Any]]


def deployment_entry(
    namespace: str, name: str, body: Mapping[str, Any]
) -> dict[Key, tuple[str, TrackStatus]]:
    """Index a Deployment under the FlaskService named by its owner label."""
    owner = ((body.get("metadata") or {}).get("labels") or {}).get(OWNER_LABEL)
    if not owner:
        return {}
    return {(namespace, owner): (name, track_status(body))}


def content_entry(namespace: str, name: str, body: Mapping[str, Any]) -> dict[Key, str]:
    """Index a ConfigMap or Secret by name: only the digest of its data is kept."""
    return {(namespace, name): data_digest(body)}


def _one(index: IndexView, key: Key) -> Any:
    values = list(index.get(key) or ()) if key in index else []
    return values[0] if values else None


def observe_indexed(
    body: Mapping[str, Any],
    deployments: IndexView,
    configmaps: IndexView,
    secrets: IndexView,
) -> Observation:
    """The same Observation observe.observe_api builds by GETs, from the indexes. Called on
    the event loop (the indexes change there), so the snapshot it returns is consistent."""
    meta, spec = body["metadata"], body.get("spec") or {}
    ns, name = meta["namespace"], meta["name"]
    owned = dict(deployments.get((ns, name)) or ()) if (ns, name) in deployments else {}
    cm_names, secret_names = referenced_objects(spec)
    referenced: dict[str, str | None] = {}
    for kind, names, index in (
        ("ConfigMap", cm_names, configmaps),
        ("Secret", secret_names, secrets),
    ):
        for ref in sorted(names):
            referenced[f"{kind}/{ref}"] = _one(index, (ns, ref))
    return Observation(deployments=owned, referenced=referenced)


def references(body: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, kind, name) of every ConfigMap and Secret the spec references."""
    ns = body["metadata"]["namespace"]
    configmaps, secrets = referenced_objects(body.get("spec") or {})
    return {(ns, "ConfigMap", n) for n in configmaps} | {(ns, "Secret", n) for n in secrets}


def shard_selector(values: Iterable[str], unlabelled: bool) -> str | None:
    """The server-side label selector for the FlaskServices one instance owns, Flux's sharding
    model: `flaskops.io/shard in (a,b)`, or `!flaskops.io/shard` for the instance that
    owns the unlabelled ones, or None (no sharding: every FlaskService)."""
    names = sorted({v.strip() for v in values if v.strip()})
    for name in names:
        if not LABEL_VALUE.fullmatch(name):
            raise ValueError(
                f"--shard {name!r}: a shard is a label value (up to 63 letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit)"
            )
    if names and unlabelled:
        raise ValueError(
            "--shard and --shard-unlabelled exclude each other: run one instance for the "
            "unlabelled FlaskServices and one per shard value"
        )
    if unlabelled:
        return f"!{SHARD_LABEL}"
    if names:
        return f"{SHARD_LABEL} in ({','.join(names)})"
    return None
