"""The HTTP transport the OTLP trace exporter posts its batches through.

The exporter's default transport is requests with `trust_env`: every POST re-reads each
proxy variable, looks for a netrc file and re-reads the CA bundle variables, then goes
through requests' session and adapter layers down to urllib3 (docs/benchmarks.md: about
700 us of CPU per 64-span batch on the reference host, in the exporter thread, which holds
the GIL meanwhile). The collector's address does not change while the process runs, so
this module decides proxy and TLS settings once, at start, and posts with the urllib3
transport that opentelemetry-exporter-http-transport ships (about 400 us per batch).

Decided once, from the environment, as requests would have on each POST:
- the proxy: HTTP(S)_PROXY/ALL_PROXY unless NO_PROXY exempts the endpoint (credentials in
  the proxy URL become a Proxy-Authorization header);
- the CA bundle: OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE, else REQUESTS_CA_BUNDLE or
  CURL_CA_BUNDLE, else the system default;
- the client certificate and key for mTLS: OTEL_EXPORTER_OTLP_(TRACES_)CLIENT_CERTIFICATE
  and _CLIENT_KEY.
netrc is not read: OTLP credentials belong in OTEL_EXPORTER_OTLP_HEADERS.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

import urllib3
from opentelemetry.exporter.http.transport._urllib3 import Urllib3HTTPTransport
from requests.utils import get_environ_proxies

DEFAULT_ENDPOINT = "http://localhost:4318"


def _first(env: Mapping[str, str], *names: str) -> str | None:
    return next((env[n] for n in names if env.get(n)), None)


def traces_endpoint(env: Mapping[str, str]) -> str:
    return _first(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT") or (
        DEFAULT_ENDPOINT
    )


def proxy_for(endpoint: str) -> str | None:
    """The proxy requests would use for `endpoint` (it reads os.environ), or None."""
    proxies = get_environ_proxies(endpoint)
    scheme = urlsplit(endpoint).scheme
    return proxies.get(scheme) or proxies.get("all")


def ca_bundle(env: Mapping[str, str]) -> str | None:
    return _first(
        env,
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    )


def client_certificate(env: Mapping[str, str]) -> str | tuple[str, str] | None:
    cert = _first(
        env, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
    )
    key = _first(env, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY")
    return (cert, key) if cert and key else cert


def exporter_transport(env: Mapping[str, str]) -> Urllib3HTTPTransport:
    transport = Urllib3HTTPTransport(verify=ca_bundle(env) or True, cert=client_certificate(env))
    proxy = proxy_for(traces_endpoint(env))
    if proxy:
        # The upstream transport has no proxy option; its pool settings (TLS, no retries:
        # the exporter retries itself) carry over to a ProxyManager.
        pool_kw = transport._pool.connection_pool_kw
        parts = urlsplit(proxy)
        headers = None
        if parts.username:
            auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers = urllib3.util.make_headers(proxy_basic_auth=auth)
        transport._pool = urllib3.ProxyManager(proxy, proxy_headers=headers, **pool_kw)
    return transport
