"""Flask service: RED (rate, errors, duration) and saturation for one service.

Reads what `instrument()` exports (flask_http_request_total, _duration_seconds,
_exceptions_total) under the target labels the chart's monitors attach (namespace,
service, track), plus cAdvisor and kube-state-metrics series for the pods.
"""

from __future__ import annotations

from typing import Any

from dashboards.common import (
    RATE,
    Layout,
    Query,
    new_dashboard,
    scoped,
    timeseries,
)

UID = "flaskops-flask-service"
SEL = 'namespace="$namespace", service="$service"'
# Pods of the stable and canary Deployments (<service>-<hash>-<id>, <service>-canary-...):
# cAdvisor and kube-state-metrics series carry the pod name, not the chart's labels.
PODS = 'namespace="$namespace", pod=~"$service-(canary-)?[a-z0-9]+-[a-z0-9]+", container="app"'


def requests(extra: str = "") -> str:
    return f"rate(flask_http_request_total{{{SEL}{extra}}}[{RATE}])"


def quantile(q: float) -> Query:
    return Query(
        f"histogram_quantile({q}, sum by (le, track) "
        f"(rate(flask_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))",
        f"p{round(q * 100)} {{{{track}}}}",
    )


def resource(metric: str, resource_name: str, legend: str) -> Query:
    return Query(
        f'sum by (pod) ({metric}{{{PODS}, resource="{resource_name}"}})', f"{legend} {{{{pod}}}}"
    )


def build() -> dict[str, Any]:
    d = new_dashboard(
        UID,
        "Flask service",
        "RED and saturation of one Flask service: both tracks, every route.",
    )
    d = scoped(d, "flask_http_request_total", "service", "Service")
    server_errors = requests(', status=~"5.."')
    errors = f"sum by (track) ({server_errors})"
    total = f"sum by (track) ({requests()})"
    layout = (
        Layout(d)
        .row("Requests, errors, duration")
        .panel(
            timeseries(
                "Request rate by route and status",
                "Requests per second by matched route template and HTTP status, both tracks.",
                "reqps",
                Query(f"sum by (path, status) ({requests()})", "{{path}} {{status}}"),
            )
        )
        .panel(
            timeseries(
                "Error ratio (5xx)",
                "Share of responses with a 5xx status, per track. Zero when there are none.",
                "percentunit",
                # `or ... * 0`: a service without errors shows 0, not "no data".
                Query(f"({errors} or {total} * 0) / {total}", "{{track}}"),
                min=0,
            )
        )
        .panel(
            timeseries(
                "Latency p50 / p95 / p99",
                "Request duration quantiles from the histogram buckets, per track.",
                "s",
                quantile(0.5),
                quantile(0.95),
                quantile(0.99),
            )
        )
        .panel(
            timeseries(
                "Unhandled exceptions by route",
                "Requests that raised an exception Flask turned into a 500, per second.",
                "reqps",
                Query(
                    f"sum by (path) (rate(flask_http_request_exceptions_total{{{SEL}}}[{RATE}]))"
                    f" or sum by (path) ({requests()}) * 0",
                    "{{path}}",
                ),
            )
        )
        .row("Saturation")
        .panel(
            timeseries(
                "Requests in flight",
                "Average concurrent requests per track (Little's law: the summed request "
                "seconds per second). Compare with workers x threads per pod.",
                "short",
                Query(
                    "sum by (track) "
                    f"(rate(flask_http_request_duration_seconds_sum{{{SEL}}}[{RATE}]))",
                    "{{track}}",
                ),
            )
        )
        .panel(
            timeseries(
                "Container restarts",
                "Restarts of the app container per pod in the interval (kube-state-metrics).",
                "short",
                Query(
                    "sum by (pod) "
                    f"(increase(kube_pod_container_status_restarts_total{{{PODS}}}[{RATE}]))",
                    "{{pod}}",
                ),
            )
        )
        .panel(
            timeseries(
                "CPU per pod against requests and limits",
                "CPU cores used by the app container (cAdvisor) with its requests and "
                "limits (kube-state-metrics).",
                "short",
                Query(
                    f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{PODS}}}[{RATE}]))",
                    "used {{pod}}",
                ),
                resource("kube_pod_container_resource_requests", "cpu", "request"),
                resource("kube_pod_container_resource_limits", "cpu", "limit"),
            )
        )
        .panel(
            timeseries(
                "Memory per pod against requests and limits",
                "Working set of the app container (cAdvisor), what the OOM killer compares "
                "with the limit, and its requests and limits (kube-state-metrics).",
                "bytes",
                Query(
                    f"sum by (pod) (container_memory_working_set_bytes{{{PODS}}})",
                    "working set {{pod}}",
                ),
                resource("kube_pod_container_resource_requests", "memory", "request"),
                resource("kube_pod_container_resource_limits", "memory", "limit"),
            )
        )
    )
    return layout.to_dict()
