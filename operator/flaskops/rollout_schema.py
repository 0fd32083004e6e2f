"""The `spec.rollout` part of the FlaskService CRD schema, with its CEL rules.

Kept apart from the chart-derived part (crd.py): this is the operator's own API.
"""

from __future__ import annotations

from typing import Any

DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"}


def _check() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A custom PromQL check. The query may use {{namespace}}, {{service}}, "
        "{{track}}, {{revision}} (the analysed track's revision id, the pods' "
        "flaskops.io/revision label) and {{window}}; it must return one sample.",
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


def _request() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["path"],
        "properties": {
            "path": {
                "type": "string",
                "pattern": "^/[^\\s]*$",
                "maxLength": 2048,
                "description": "Path (and query) to request, e.g. /items/1.",
            },
            "method": {
                "type": "string",
                "enum": ["GET", "HEAD", "OPTIONS"],
                "default": "GET",
                "description": "Only safe methods: these requests must not change data.",
            },
            "expectStatus": {
                "type": "integer",
                "minimum": 100,
                "maximum": 599,
                "default": 200,
                "description": "The status every response must have.",
            },
            "count": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "default": 1,
                "description": "How many times to send it per analysis.",
            },
        },
    }


def blue_green_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "default": {},
        "description": "strategy blueGreen: a full-size preview behind <name>-preview, analysed, "
        "then the Service switches to it in one step.",
        "properties": {
            "interval": {
                **DURATION,
                "default": "30s",
                "description": "Time between analyses of the preview.",
                "x-kubernetes-validations": [
                    {
                        "rule": "duration(self) >= duration('5s')",
                        "message": "interval must be at least 5s",
                    }
                ],
            },
            "analyses": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "default": 3,
                "description": "Passing analyses of the preview before the switch.",
            },
            "manualGate": {
                "type": "boolean",
                "default": False,
                "description": "After the analyses, wait for `kubectl flaskops promote` to switch "
                "(Argo Rollouts' autoPromotionEnabled: false).",
            },
            "scaleDownDelay": {
                **DURATION,
                "default": "30s",
                "description": "How long the old pods stay after the switch; an abort in that "
                "time switches straight back.",
            },
            "prePromotion": {
                "type": "object",
                "description": "Requests the operator sends the preview before each analysis; "
                "their result is the prePromotion check and their metrics feed the others.",
                "properties": {
                    "url": {
                        "type": "string",
                        "pattern": "^https?://[^\\s/]+$",
                        "description": "Base URL of the preview (default: "
                        "http://<name>-preview.<namespace>.svc:<service.port>).",
                    },
                    "timeout": {**DURATION, "description": "Per-request timeout (default 2s)."},
                    "requests": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 10,
                        "items": _request(),
                    },
                },
            },
        },
    }


def rollout_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "How new revisions reach production. Without it every change rolls out "
        "directly (strategy rolling).",
        "properties": {
            "strategy": {
                "type": "string",
                "enum": ["canary", "blueGreen", "rolling"],
                "default": "canary",
                "description": "canary: analysed steps then promotion; blueGreen: an analysed "
                "full-size preview, then one switch of the Service; rolling: plain Deployment update.",
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
            "blueGreen": blue_green_schema(),
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
            },
            {
                "rule": "!has(self.strategy) || self.strategy != 'blueGreen' || (has(self.analysis) && has(self.analysis.prometheus))",
                "message": "strategy blueGreen needs analysis.prometheus.url: without metrics a preview "
                "can never be judged healthy",
                "fieldPath": ".analysis",
            },
        ],
    }
