"""Application factory of the user's app: a route that works, one that answers 503, one
that raises, and one that calls another service over HTTP (DOWNSTREAM_URL: a traced
outgoing call)."""

from __future__ import annotations

import logging
import os
import time

import requests
from flask import Flask
from flaskops_flask import instrument

log = logging.getLogger("userapp")


def create_app() -> Flask:
    app = Flask("userapp")
    instrument(app)
    downstream = os.environ.get("DOWNSTREAM_URL", "http://127.0.0.1:9")

    @app.get("/work/<int:n>")
    def work(n: int) -> dict[str, int]:
        log.info("working on %d", n)
        time.sleep(0.02)  # long enough that concurrent clients reach both sync workers
        return {"n": n, "square": n * n}

    @app.get("/unavailable")
    def unavailable() -> tuple[dict[str, str], int]:
        return {"error": "try later"}, 503

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the app's own bug")

    @app.get("/call/<int:n>")
    def call(n: int) -> dict[str, int]:
        answer = requests.get(f"{downstream}/{n}", timeout=5)
        return {"n": n, "downstream_status": answer.status_code}

    return app
