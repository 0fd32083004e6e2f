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

GROUP = "flaskops.io"
VERSION = "v1alpha1"
PLURAL = "flaskservices"
KIND = "FlaskService"

# Values a FlaskService may not set: `canary` is driven by the operator from the rollout
# state (a user setting it would fight it), and secret data does not belong in a spec that
# everyone who can read FlaskServices can read (reference a Secret with existingSecret).
# `global` and `flask-lib` are keys helm itself injects into a chart's values.
EXCLUDED_VALUES: tuple[tuple[str, ...], ...] = (
    ("canary",),
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

DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"}


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


def _check() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A custom PromQL check. The query may use {{namespace}}, {{service}}, "
        "{{track}} and {{window}}; it must return one sample.",
        "required": ["name", "query"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-zA-Z][a-zA-Z0-9_-]{0,62}$"},
            "query": {"type": "string", "minLength": 1, "maxLength": 4096},
            "min": {"type": "number", "description": "Fail when the value is below this."},
            "max": {"type": "number", "description": "Fail when the value is above this."},
            "abortBelow": {"type": "number", "description": "Roll back at once below this."},
            "abortAbove": {"type": "number", "description": "Roll back at once above this."},
        },
        "x-kubernetes-validations": [
            {
                "rule": "has(self.min) || has(self.max)",
                "message": "a check needs min or max (or both)",
                "fieldPath": ".min",
            },
            {
                "rule": "!has(self.min) || !has(self.max) || self.min <= self.max",
                "message": "min must be less than or equal to max",
                "fieldPath": ".min",
            },
        ],
    }


def rollout_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "How new revisions reach production. Without it every change rolls out "
        "directly (strategy rolling).",
        "properties": {
            "strategy": {
                "type": "string",
                "enum": ["canary", "rolling"],
                "default": "canary",
                "description": "canary: analysed steps then promotion; rolling: plain Deployment update.",
            },
            "paused": {
                "type": "boolean",
                "default": False,
                "description": "Hold the rollout where it is (kubectl flaskops pause/resume).",
            },
            "canary": {
                "type": "object",
                "default": {},
                "properties": {
                    "steps": {
                        "type": "array",
                        "description": "Canary weights in percent, strictly ascending.",
                        "default": [10, 25, 50],
                        "minItems": 1,
                        "maxItems": 20,
                        "items": {"type": "integer", "minimum": 1, "maximum": 100},
                        "x-kubernetes-validations": [
                            {
                                "rule": "self.all(x, self.exists_one(y, y == x)) && self.isSorted()",
                                "message": "steps must be strictly ascending, e.g. [10, 25, 50]",
                            }
                        ],
                    },
                    "interval": {
                        **DURATION,
                        "default": "30s",
                        "description": "Time between analyses (and steps).",
                        "x-kubernetes-validations": [
                            {
                                "rule": "duration(self) >= duration('5s')",
                                "message": "interval must be at least 5s",
                            }
                        ],
                    },
                    "traffic": {
                        "type": "string",
                        "enum": ["replicas", "gatewayAPI", "nginx"],
                        "default": "replicas",
                        "description": "How traffic reaches the canary.",
                    },
                    "manualGate": {
                        "type": "boolean",
                        "default": False,
                        "description": "After the last step, wait for `kubectl flaskops promote`.",
                    },
                },
            },
            "analysis": {
                "type": "object",
                "properties": {
                    "prometheus": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {
                                "type": "string",
                                "pattern": "^https?://[^\\s]+$",
                                "description": "Prometheus base URL, e.g. http://prometheus.monitoring:9090",
                            },
                            "timeout": {
                                **DURATION,
                                "description": "Per-query timeout (default 5s); a timeout is inconclusive.",
                            },
                        },
                    },
                    "window": {
                        **DURATION,
                        "default": "1m",
                        "description": "Range of the rate() in every built-in query.",
                    },
                    "successRate": {
                        "type": "object",
                        "properties": {
                            "min": {"type": "number", "minimum": 0, "maximum": 100},
                            "abortBelow": {
                                "type": "number",
                                "minimum": 0,
                                "maximum": 100,
                                "description": "Roll back at once when the success rate is below this.",
                            },
                        },
                        "x-kubernetes-validations": [
                            {
                                "rule": "!has(self.abortBelow) || !has(self.min) || self.abortBelow <= self.min",
                                "message": "abortBelow must be less than or equal to min",
                                "fieldPath": ".abortBelow",
                            }
                        ],
                    },
                    "latencyP99": {
                        "type": "object",
                        "properties": {
                            "maxMs": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                            "abortAboveMs": {
                                "type": "number",
                                "exclusiveMinimum": True,
                                "minimum": 0,
                                "description": "Roll back at once when p99 is above this.",
                            },
                        },
                        "x-kubernetes-validations": [
                            {
                                "rule": "!has(self.abortAboveMs) || !has(self.maxMs) || self.abortAboveMs >= self.maxMs",
                                "message": "abortAboveMs must be greater than or equal to maxMs",
                                "fieldPath": ".abortAboveMs",
                            }
                        ],
                    },
                    "checks": {"type": "array", "maxItems": 10, "items": _check()},
                    "failureThreshold": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 20,
                        "default": 2,
                        "description": "Failed analyses before rollback.",
                    },
                    "inconclusiveLimit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 50,
                        "default": 3,
                        "description": "Analyses without data (or Prometheus down) before rollback.",
                    },
                },
            },
        },
        "x-kubernetes-validations": [
            {
                "rule": "!has(self.strategy) || self.strategy != 'canary' || (has(self.analysis) && has(self.analysis.prometheus))",
                "message": "strategy canary needs analysis.prometheus.url: without metrics a canary "
                "can never be judged healthy",
                "fieldPath": ".analysis",
            }
        ],
    }


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
    ("autoscaling",): [
        {
            "rule": "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
            "message": "minReplicas must be less than or equal to maxReplicas",
            "fieldPath": ".minReplicas",
        }
    ],
    (): [
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
