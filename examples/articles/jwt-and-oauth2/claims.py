"""Print a JWT's header and claims without verifying it (for reading, never for trusting):

    python claims.py TOKEN

Times are shown as the token's lifetime (`exp - iat`), and `jti` is left out, so the
output of two runs compares."""

from __future__ import annotations

import json
import sys

import jwt

token = sys.argv[1]
claims = jwt.decode(token, options={"verify_signature": False})
lifetime = claims.pop("exp") - claims.pop("iat")
claims.pop("jti", None)
print("header:", json.dumps(jwt.get_unverified_header(token), sort_keys=True))
print("claims:", json.dumps({**claims, "lifetime_s": lifetime}, sort_keys=True))
