"""Settings for `instrument()`, read from the environment (12-factor) and overridable by keyword.

The OpenTelemetry part deliberately reads the standard `OTEL_*` variables (the ones the
chart and the OpenTelemetry Operator set) instead of inventing new ones; the flaskops
variables only switch parts on and off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

_FALSE = {"0", "false", "no", "off", ""}


def env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    return raw.strip().lower() not in _FALSE


def resource_attributes(env: Mapping[str, str]) -> dict[str, str]:
    """Parse OTEL_RESOURCE_ATTRIBUTES (`k=v,k=v`, values may be percent-encoded)."""
    from urllib.parse import unquote

    out: dict[str, str] = {}
    for item in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = unquote(value.strip())
    return out


@dataclass(frozen=True)
class TelemetryConfig:
    service_name: str
    service_version: str
    metrics: bool = True
    tracing: bool = True
    json_logs: bool = True
    health: bool = True
    metrics_path: str = "/metrics"
    # Paths that are operational noise: not traced, and not counted as business traffic.
    excluded_paths: tuple[str, ...] = field(default=("/metrics", "/healthz", "/readyz"))
    log_level: str = "INFO"

    @classmethod
    def from_env(
        cls, default_name: str, env: Mapping[str, str] | None = None, **overrides: object
    ) -> TelemetryConfig:
        env = os.environ if env is None else env
        attrs = resource_attributes(env)
        name = env.get("OTEL_SERVICE_NAME") or attrs.get("service.name") or default_name
        version = env.get("SERVICE_VERSION") or attrs.get("service.version") or "unknown"
        values: dict[str, object] = {
            "service_name": name,
            "service_version": version,
            "metrics": env_flag(env, "FLASKOPS_METRICS", True),
            "tracing": env_flag(env, "FLASKOPS_TRACING", True)
            and not env_flag(env, "OTEL_SDK_DISABLED", False),
            "json_logs": env_flag(env, "FLASKOPS_JSON_LOGS", True),
            "health": env_flag(env, "FLASKOPS_HEALTH", True),
            "metrics_path": env.get("FLASKOPS_METRICS_PATH", "/metrics"),
            "log_level": env.get("LOG_LEVEL", "INFO").upper(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
