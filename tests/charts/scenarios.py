"""Value sets that together switch on every object and option the chart can render.

The schema, Checkov and server-side dry-run tests run over all of them, so an object that
only appears with some option still gets validated.
"""

from __future__ import annotations

from typing import Any

_CANARY = {"enabled": True, "image": {"tag": "2.0.0"}, "weight": 33}

SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything": {
        "image": {"tag": "1.0.0", "digest": "sha256:" + "0" * 64},
        "config": {"data": {"LOG_LEVEL": "INFO"}},
        "secret": {"data": {"API_KEY": "not-a-real-key"}},
        "env": [{"name": "FEATURE_X", "value": "on"}],
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "failureThreshold": 30},
        "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80},
        "podDisruptionBudget": {"minAvailable": "50%"},
        "metrics": {"port": 9100, "monitor": {"labels": {"release": "kube-prometheus-stack"}}},
        "networkPolicy": {"egress": {"restrict": True}},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "tls": [{"secretName": "tls", "hosts": ["chart-example.local"]}],
        },
        "httpRoute": {"enabled": True},
        "priorityClassName": "system-cluster-critical",
    },
    "podmonitor": {"metrics": {"monitor": {"kind": "PodMonitor"}}},
    "otel-operator": {"opentelemetry": {"mode": "operator"}},
    "canary-replicas": {"canary": _CANARY},
    "canary-replicas-hpa": {"canary": _CANARY, "autoscaling": {"enabled": True}},
    "canary-gateway": {
        "canary": _CANARY | {"traffic": "gatewayAPI", "config": {"MODE": "canary"}},
        "httpRoute": {"enabled": True},
        "config": {"data": {"MODE": "stable"}},
    },
    "canary-nginx": {
        "canary": _CANARY
        | {"traffic": "nginx", "nginx": {"header": "X-Canary", "cookie": "canary"}},
        "ingress": {"enabled": True, "className": "nginx"},
    },
}
