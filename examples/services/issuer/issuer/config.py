"""Settings from the environment, and the clients/users file (ISSUER_CONFIG, JSON)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "demo-config.json"


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str | None  # None: a public client (a browser or CLI app), which must use PKCE
    grants: frozenset[str]
    scopes: frozenset[str]
    audiences: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    username: str
    password: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Settings:
    issuer: str
    keys_dir: str
    access_ttl_s: int = 300
    refresh_ttl_s: int = 3600
    clients: Mapping[str, Client] = field(default_factory=dict)
    users: Mapping[str, User] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        issuer = env.get("ISSUER_URL", "").rstrip("/")
        keys_dir = env.get("ISSUER_KEYS_DIR", "")
        if not issuer or not keys_dir:
            raise ValueError(
                "ISSUER_URL (the `iss` of its tokens) and ISSUER_KEYS_DIR (signing keys) are required"
            )
        doc: dict[str, Any] = json.loads(Path(env.get("ISSUER_CONFIG") or DEMO_CONFIG).read_text())
        clients = {
            cid: Client(
                client_id=cid,
                secret=c.get("secret"),
                grants=frozenset(c["grants"]),
                scopes=frozenset(c["scopes"]),
                audiences=tuple(c["audiences"]),
                redirect_uris=tuple(c.get("redirect_uris", ())),
            )
            for cid, c in doc.get("clients", {}).items()
        }
        users = {
            name: User(name, u["password"], frozenset(u["scopes"]))
            for name, u in doc.get("users", {}).items()
        }
        return cls(
            issuer=issuer,
            keys_dir=keys_dir,
            access_ttl_s=int(env.get("ISSUER_ACCESS_TTL_S", "300")),
            refresh_ttl_s=int(env.get("ISSUER_REFRESH_TTL_S", "3600")),
            clients=clients,
            users=users,
        )
