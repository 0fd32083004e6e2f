"""Settings from the environment (12-factor): one place that reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from orders.service_token import ClientCredentials


@dataclass(frozen=True)
class Settings:
    catalog_url: str
    catalog_timeout_s: float
    # orders' own token for catalog (client credentials); None: calls carry no token.
    catalog_credentials: ClientCredentials | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            catalog_url=env.get("CATALOG_URL", "http://127.0.0.1:8001").rstrip("/"),
            catalog_timeout_s=float(env.get("CATALOG_TIMEOUT_S", "2")),
            catalog_credentials=ClientCredentials.from_env(env),
        )
