"""An ASGI front for a WSGI service: `uvicorn --factory asgi_adapter:orders`.

a2wsgi runs the unchanged Flask app in a thread pool (WSGI_THREADS threads per process),
so uvicorn's event loop does the HTTP and the app stays synchronous. The app is imported
where the service's gunicorn.conf.py would import it: one place per service.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from a2wsgi import WSGIMiddleware

SERVICES = Path(__file__).resolve().parents[2] / "services"


def _wsgi(service: str) -> Any:
    sys.path.insert(0, str(SERVICES / service))
    module = __import__(f"{service}.app", fromlist=["create_app"])
    return module.create_app()


def _threads() -> int:
    return int(os.environ.get("WSGI_THREADS", "4"))


def orders() -> WSGIMiddleware:
    return WSGIMiddleware(_wsgi("orders"), workers=_threads())


def catalog() -> WSGIMiddleware:
    return WSGIMiddleware(_wsgi("catalog"), workers=_threads())
