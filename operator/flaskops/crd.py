"""Generate the FlaskService CRD from the flask-service chart's values.schema.json.

The chart is the one definition of a Flask service, so the CRD's `spec` is the chart's
values schema (minus what the operator itself drives: `canary`) plus a `rollout` section.
`make generate` writes the result; a test fails when the committed file drifts.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from flaskops.rollout_schema import rollout_schema

GROUP = "flaskops.io"
VERSION = "v1alpha1"
PLURAL = "flaskservices"
KIND = "FlaskService"

# Values a FlaskService may not set: `canary` and `preview` are driven by the operator from the rollout
# state (a user setting it would fight it), and secret data does not belong in a spec that
# everyone who can read FlaskServices can read (reference a Secret with existingSecret).
# `global` and `flask-lib` are keys helm itself injects into a chart's values.
EXCLUDED_VALUES: tuple[tuple[str, ...], ...] = (
    ("canary",),
    ("preview",),
    ("secret", "data"),
    ("tests",),
    ("global",),
    ("flask-lib",),
)

# JSON Schema keywords a Kubernetes structural schema accepts; anything else is dropped.
_ALLOWED_KEYWORDS = {
    "type", "properties", "additionalProperties", "items", "enum", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
    "pattern", "required", "description", "format", "nullable", "uniqueItems",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
    "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type", "anyOf", "allOf", "oneOf", "not",
}  # fmt: skip


def _structural(schema: Any) -> Any:
    """Keep only structural-schema keywords; helm-only ones ($schema, title, default...) go."""
    if isinstance(schema, list):
        return [_structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _ALLOWED_KEYWORDS:
            continue
        if key == "properties":
            out[key] = {name: _structural(sub) for name, sub in value.items()}
        elif (
            key in ("items", "additionalProperties", "not") and isinstance(value, dict)
        ) or key in ("anyOf", "allOf", "oneOf"):
            out[key] = _structural(value)
        else:
            out[key] = copy.deepcopy(value)
    # Structural schemas forbid additionalProperties beside properties; unknown fields are
    # still refused, by the apiserver's strict field validation instead of by the schema.
    if "properties" in out and out.get("additionalProperties") is False:
        del out["additionalProperties"]
    for key in ("anyOf", "oneOf"):
        branches = out.get(key)
        if not branches:
            continue
        if {b.get("type") for b in branches} == {"integer", "string"}:
            del out[key]
            out.pop("type", None)
            out["x-kubernetes-int-or-string"] = True
        else:  # value validations only: a branch may not declare a type of its own
            out[key] = [{k: v for k, v in b.items() if k != "type"} for b in branches]
    # JSON Schema allows a list of types (["string", "null"]); Kubernetes wants one + nullable.
    if isinstance(out.get("type"), list):
        listed = [t for t in out["type"] if t != "null"]
        out["nullable"] = len(listed) < len(out["type"]) or out.get("nullable", False)
        out["type"] = listed[0] if len(listed) == 1 else None
        if out["type"] is None:
            del out["type"]
            out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def status_schema() -> dict[str, Any]:
    condition = {
        "type": "object",
        "required": ["type", "status"],
        "properties": {
            "type": {"type": "string"},
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "reason": {"type": "string"},
            "message": {"type": "string"},
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "observedGeneration": {"type": "integer"},
        },
    }
    return {
        "type": "object",
        "properties": {
            "observedGeneration": {"type": "integer"},
            "conditions": {
                "type": "array",
                "items": condition,
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"],
            },
            "phase": {"type": "string"},
            "message": {"type": "string"},
            "image": {"type": "string", "description": "The stable track's image."},
            "weight": {"type": "integer", "description": "Requested canary weight."},
            "effectiveWeight": {
                "type": "integer",
                "description": "Canary share actually achieved (replicas mode: of ready pods).",
            },
            "ready": {"type": "string", "description": "Ready pods / desired, for kubectl get."},
            # The rollout state machine's own record, so a restart resumes where it was.
            "stableRevision": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "canaryRevision": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "previewRevision": {
                "type": "object",
                "description": "blueGreen: the preview track's revision.",
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "activeTrack": {
                "type": "string",
                "description": "blueGreen: the track the main Service selects (stable or preview).",
            },
            "step": {"type": "integer", "description": "Index of the current canary step."},
            "failedChecks": {"type": "integer", "description": "Failed analyses of this canary."},
            "inconclusiveChecks": {"type": "integer", "description": "Analyses without data."},
            "analysis": {
                "type": "object",
                "description": "The last analysis: each check's query, value, threshold, outcome.",
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "trackValues": {
                "type": "object",
                "description": "Per-revision values (image, env, config) the tracks render from.",
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "rollout": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }


def printer_columns() -> list[dict[str, Any]]:
    return [
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Weight", "type": "integer", "jsonPath": ".status.weight"},
        {"name": "Image", "type": "string", "jsonPath": ".status.image"},
        {"name": "Ready", "type": "string", "jsonPath": ".status.ready"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


# CEL rules for what the chart's JSON Schema cannot say, by path under spec.
CHART_RULES: dict[tuple[str, ...], list[dict[str, str]]] = {
    ("image",): [
        {
            # The chart falls back to its own appVersion: fine for `helm install` demos, but a
            # FlaskService must say what it runs (and status.image must be what runs).
            "rule": "(has(self.tag) && self.tag != '') || (has(self.digest) && self.digest != '')",
            "message": "image.tag or image.digest is required: a FlaskService pins the image it runs",
            "fieldPath": ".tag",
        }
    ],
    ("autoscaling",): [
        {
            # The chart's default CPU target (80) counts when the spec leaves it out.
            "rule": "!has(self.enabled) || !self.enabled "
            "|| !has(self.targetCPUUtilizationPercentage) || self.targetCPUUtilizationPercentage > 0 "
            "|| (has(self.targetMemoryUtilizationPercentage) && self.targetMemoryUtilizationPercentage > 0) "
            "|| (has(self.metrics) && size(self.metrics) > 0)",
            "message": "autoscaling.enabled needs a metric: set targetCPUUtilizationPercentage, "
            "targetMemoryUtilizationPercentage or metrics",
            "fieldPath": ".enabled",
        },
        {
            "rule": "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
            "message": "minReplicas must be less than or equal to maxReplicas",
            "fieldPath": ".minReplicas",
        },
    ],
    (): [
        *(
            {
                # The chart refuses root while it enforces the restricted Pod Security Standard
                # (restrictedPodSecurity defaults to true).
                "rule": f"!has(self.{ctx}) || !has(self.{ctx}.runAsUser) || self.{ctx}.runAsUser != 0 "
                "|| (has(self.restrictedPodSecurity) && !self.restrictedPodSecurity)",
                "message": f"{ctx}.runAsUser: 0 (root) is not allowed while restrictedPodSecurity is true",
                "fieldPath": f".{ctx}.runAsUser",
            }
            for ctx in ("podSecurityContext", "securityContext")
        ),
        {
            "rule": "!has(self.rollout) || !has(self.rollout.canary) || !has(self.rollout.canary.traffic) "
            "|| self.rollout.canary.traffic != 'gatewayAPI' || (has(self.httpRoute) && self.httpRoute.enabled)",
            "message": "rollout.canary.traffic gatewayAPI needs httpRoute.enabled: the HTTPRoute carries the weights",
            "fieldPath": ".rollout.canary.traffic",
        },
        {
            "rule": "!has(self.rollout) || !has(self.rollout.canary) || !has(self.rollout.canary.traffic) "
            "|| self.rollout.canary.traffic != 'nginx' || (has(self.ingress) && self.ingress.enabled)",
            "message": "rollout.canary.traffic nginx needs ingress.enabled: the canary Ingress mirrors it",
            "fieldPath": ".rollout.canary.traffic",
        },
    ],
    ("podDisruptionBudget",): [
        {
            "rule": "!has(self.minAvailable) || !has(self.maxUnavailable)",
            "message": "set minAvailable or maxUnavailable, not both",
            "fieldPath": ".minAvailable",
        }
    ],
}


# Schema keywords the chart's JSON Schema lacks but a FlaskService needs, by path under spec:
# each was an accepted spec that did not render (tests/operator/cluster/test_spec_fuzz.py).
CHART_SCHEMA_PATCHES: dict[tuple[str, ...], dict[str, Any]] = {
    # Rendered unquoted: "}}4" broke the YAML. A PriorityClass name is a DNS subdomain.
    ("priorityClassName",): {
        "pattern": "^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)?$",
        "maxLength": 253,
    },
}


def spec_schema(values_schema: dict[str, Any]) -> dict[str, Any]:
    spec = _structural(values_schema)
    spec["type"] = "object"
    spec["description"] = "The flask-service chart's values, plus `rollout`."
    props = spec.setdefault("properties", {})
    for path in EXCLUDED_VALUES:
        node = spec
        for key in path[:-1]:
            node = node.get("properties", {}).get(key, {})
        node.get("properties", {}).pop(path[-1], None)
    props["rollout"] = rollout_schema()
    # The chart's defaults name a placeholder image; a FlaskService must name its own.
    spec["required"] = sorted({*spec.get("required", []), "image"})
    for path, patch in CHART_SCHEMA_PATCHES.items():
        node = spec
        for key in path:
            node = node["properties"][key]
        node.update(copy.deepcopy(patch))
    for path, rules in CHART_RULES.items():
        node = spec
        for key in path:
            node = node["properties"][key]
        node.setdefault("x-kubernetes-validations", []).extend(rules)
    return dict(spec)


def build_crd(values_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{PLURAL}.{GROUP}",
            # Keep the CRD (and so every FlaskService) when the operator's release goes away.
            "annotations": {"helm.sh/resource-policy": "keep"},
        },
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": "flaskservice",
                "shortNames": ["fsvc"],
                "categories": ["flaskops"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": printer_columns(),
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "A Flask service deployed from the flask-service chart, "
                            "with canary rollouts analysed in Prometheus.",
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema(values_schema),
                                "status": status_schema(),
                            },
                        }
                    },
                }
            ],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """flaskops-crd VALUES_SCHEMA: print the CRD YAML."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m flaskops.crd charts/flask-service/values.schema.json", file=sys.stderr
        )
        return 2
    values_schema = json.loads(Path(args[0]).read_text())
    sys.stdout.write(
        "# Generated by `make generate` from charts/flask-service/values.schema.json.\n"
    )
    sys.stdout.write(yaml.safe_dump(build_crd(values_schema), sort_keys=False, width=100))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
