"""Make the bad tokens a resource server must refuse, to try them against a service.

    python forge.py KIND --issuer URL --audience AUD [--keys-dir DIR]

KIND is one of:
  expired       signed by the issuer's active key (read from --keys-dir), expired an hour ago
  wrong-issuer  signed by the issuer's active key, but `iss` names another issuer
  unknown-kid   signed by a key the issuer never published
  alg-none      no signature at all (`alg: none`)
  hs-confusion  HS256, "signed" with the issuer's public RSA key as the HMAC secret: the
                classic attack on verifiers that take the algorithm from the token
Each prints one token. The first two need the issuer's private key, which only the issuer
has: they stand for "a real token, too old" and "a real key, another tenant's issuer".
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KINDS = ("expired", "wrong-issuer", "unknown-kid", "alg-none", "hs-confusion")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(issuer: str, audience: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": issuer, "sub": "mallory", "aud": audience, "scope": "catalog:read catalog:write orders:read orders:write",
            "iat": now, "exp": now + 300}  # fmt: skip
    return {**base, **overrides}


def active_key(keys_dir: str) -> tuple[str, Any]:
    kid = (Path(keys_dir) / "active").read_text().strip()
    key = serialization.load_pem_private_key(
        (Path(keys_dir) / f"{kid}.pem").read_bytes(), password=None
    )
    return kid, key


def forge(kind: str, issuer: str, audience: str, keys_dir: str | None = None) -> str:
    if kind in ("expired", "wrong-issuer"):
        if not keys_dir:
            raise SystemExit(f"{kind} needs --keys-dir (the issuer's private keys)")
        kid, key = active_key(keys_dir)
        now = int(time.time())
        body = (
            claims(issuer, audience, iat=now - 3900, exp=now - 3600)
            if kind == "expired"
            else claims("https://login.example.net", audience)
        )
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})
    if kind == "unknown-kid":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(
            claims(issuer, audience),
            stranger,
            algorithm="RS256",
            headers={"kid": "not-a-published-key"},
        )
    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=5).json()
    kid = jwks["keys"][0]["kid"]
    if kind == "alg-none":
        header = {"alg": "none", "typ": "JWT", "kid": kid}
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims(issuer, audience)).encode())}."
    if kind == "hs-confusion":
        # PyJWT refuses to HMAC with a PEM public key, so the attacker's signature is built by hand.
        public = jwt.PyJWK(jwks["keys"][0]).key
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}).encode())}.{_b64(json.dumps(claims(issuer, audience)).encode())}"
        return f"{signing_input}.{_b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())}"
    raise SystemExit(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--issuer", required=True)
    p.add_argument("--audience", required=True)
    p.add_argument("--keys-dir")
    a = p.parse_args()
    print(forge(a.kind, a.issuer.rstrip("/"), a.audience, a.keys_dir))


if __name__ == "__main__":
    main()
