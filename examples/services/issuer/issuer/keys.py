"""The issuer's signing keys: one RSA private key per file (`<kid>.pem`) in a directory, and
a file `active` naming the one that signs. Every key in the directory is published in the
JWKS, so tokens signed before a rotation keep verifying until their key is retired.

    python -m issuer.keys rotate --publish-only --dir KEYS   # new key published, not signing yet
    python -m issuer.keys activate --dir KEYS NEW_KID        # it signs; the old one stays published
    python -m issuer.keys retire --dir KEYS OLD_KID          # old key unpublished: its tokens fail
    python -m issuer.keys rotate --dir KEYS                  # publish and sign at once
    python -m issuer.keys list --dir KEYS

Publishing a key one JWKS cache lifetime before it signs means no service ever sees a
`kid` it does not know yet; retiring the old one a token lifetime after it stopped signing
means no valid token is cut off.

Key generation, PEM and JWK encoding are the cryptography package's and PyJWT's.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"


class KeyRing:
    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self._cache: tuple[tuple[int, str], str, dict[str, rsa.RSAPrivateKey]] | None = None

    def _load(self) -> tuple[str, dict[str, rsa.RSAPrivateKey]]:
        # Re-read only when the directory changed (a rotation or retirement renames files)
        # or `active` names another key (two renames can share one coarse mtime).
        active = (self.dir / "active").read_text().strip()
        stamp = (self.dir.stat().st_mtime_ns, active)
        if self._cache is None or self._cache[0] != stamp:
            keys = {}
            for pem in sorted(self.dir.glob("*.pem")):
                key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
                assert isinstance(key, rsa.RSAPrivateKey), f"{pem}: not an RSA key"
                keys[pem.stem] = key
            if active not in keys:
                raise RuntimeError(f"{self.dir}/active names {active!r}, which has no {active}.pem")
            self._cache = (stamp, active, keys)
        return self._cache[1], self._cache[2]

    def ensure(self) -> None:
        """A directory without keys gets its first one."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if not (self.dir / "active").exists():
            self.rotate()

    def rotate(self, activate: bool = True) -> str:
        kid = f"{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_atomic(self.dir / f"{kid}.pem", pem, mode=0o600)
        if activate or not (self.dir / "active").exists():
            self.activate(kid)
        return kid

    def activate(self, kid: str) -> None:
        if not (self.dir / f"{kid}.pem").exists():
            raise ValueError(f"no key {kid} in {self.dir}")
        _write_atomic(self.dir / "active", kid.encode())

    def retire(self, kid: str) -> None:
        active, _ = self._load()
        if kid == active:
            raise ValueError(f"{kid} is the active key: rotate first, then retire it")
        (self.dir / f"{kid}.pem").unlink()

    def signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        active, keys = self._load()
        return active, keys[active]

    def kids(self) -> list[str]:
        return sorted(self._load()[1])

    def jwks(self) -> dict[str, Any]:
        _, keys = self._load()
        published = []
        for kid, key in keys.items():
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            published.append({**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": published}


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    tmp.rename(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m issuer.keys", description="the issuer's signing keys"
    )
    parser.add_argument("command", choices=["rotate", "activate", "retire", "list"])
    parser.add_argument("kid", nargs="?", help="for activate and retire: the key id")
    parser.add_argument(
        "--publish-only", action="store_true", help="rotate: publish, do not sign yet"
    )
    parser.add_argument(
        "--dir", default=os.environ.get("ISSUER_KEYS_DIR"), help="default: $ISSUER_KEYS_DIR"
    )
    args = parser.parse_intermixed_args(argv)
    if not args.dir:
        parser.error("--dir or ISSUER_KEYS_DIR is required")
    ring = KeyRing(args.dir)
    ring.ensure()
    if args.command in ("activate", "retire") and not args.kid:
        parser.error(f"{args.command} needs the key id")
    if args.command == "rotate":
        new = ring.rotate(activate=not args.publish_only)
        print(json.dumps({"new": new, "active": ring.signing_key()[0], "published": ring.kids()}))
        return
    if args.command == "activate":
        ring.activate(args.kid)
    elif args.command == "retire":
        ring.retire(args.kid)
    print(json.dumps({"active": ring.signing_key()[0], "published": ring.kids()}))


if __name__ == "__main__":
    main()
