"""Bad settings for the services' auth and rate limits fail at start, naming the variable."""

from __future__ import annotations

import pytest
from service_kit.auth import AuthSettings
from service_kit.ratelimit import RateLimitSettings


def test_auth_is_off_without_an_issuer_and_needs_an_audience_with_one() -> None:
    assert AuthSettings.from_env({}) is None
    with pytest.raises(ValueError, match="AUTH_AUDIENCE must be set"):
        AuthSettings.from_env({"AUTH_ISSUER": "https://login.example.com"})
    s = AuthSettings.from_env(
        {"AUTH_ISSUER": "https://login.example.com/", "AUTH_AUDIENCE": "catalog"}
    )
    assert s is not None
    assert s.jwks_url == "https://login.example.com/.well-known/jwks.json"


@pytest.mark.parametrize("algs", ["HS256", "RS256,none", "HS512"])
def test_symmetric_and_none_algorithms_cannot_be_allowed(algs: str) -> None:
    env = {"AUTH_ISSUER": "https://i", "AUTH_AUDIENCE": "a", "AUTH_ALGORITHMS": algs}
    with pytest.raises(ValueError, match=r"AUTH_ALGORITHMS: .* not allowed; use asymmetric ones"):
        AuthSettings.from_env(env)


def test_rate_limit_failure_mode_is_checked() -> None:
    assert RateLimitSettings.from_env({}) is None
    with pytest.raises(
        ValueError, match="RATELIMIT_ON_STORAGE_ERROR='maybe': use 'open' or 'closed'"
    ):
        RateLimitSettings.from_env(
            {"RATELIMIT_DEFAULT": "5/second", "RATELIMIT_ON_STORAGE_ERROR": "maybe"}
        )
