"""HTTP validators for the catalog's reads: an ETag on every GET answer, and 304 Not
Modified when the client's If-None-Match already names it (werkzeug computes both).

`Cache-Control: no-cache` by default: clients and proxies may keep the answer but must
revalidate it each time, which costs a 304 without a body. CATALOG_HTTP_MAX_AGE_S > 0 lets
them reuse it for that long without asking (`max-age`); answers to authenticated requests
are `private` so a shared proxy never serves one client's answer to another.
"""

from __future__ import annotations

from flask import Flask, Response, request


def init_http_cache(app: Flask, blueprint: str, max_age_s: int) -> None:
    @app.after_request
    def validators(resp: Response) -> Response:
        if request.blueprint != blueprint or request.method != "GET" or resp.status_code != 200:
            return resp
        resp.cache_control.private = "Authorization" in request.headers or None
        if max_age_s > 0:
            resp.cache_control.max_age = max_age_s
        else:
            resp.cache_control.no_cache = True
        resp.add_etag()
        return resp.make_conditional(request)
