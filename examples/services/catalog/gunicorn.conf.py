"""Gunicorn settings for catalog: `gunicorn -c gunicorn.conf.py` runs the service.

The shared production defaults (workers, threads, timeouts, graceful shutdown, the
multiprocess metrics hooks) come from flaskops_flask.gunicorn_conf; each can be changed
by environment (WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, ...).
"""

import os
from pathlib import Path

from flaskops_flask.gunicorn import json_logconfig
from flaskops_flask.gunicorn_conf import *  # noqa: F403

wsgi_app = "catalog.app:create_app()"
chdir = str(Path(__file__).resolve().parent)  # makes the `catalog` package importable
bind = os.environ.get("BIND", "0.0.0.0:8001")
# JSON lines on stdout for gunicorn's own log and its access log (GUNICORN_ACCESS_LOG=0: off).
logconfig_dict = json_logconfig(
    "catalog",
    level=os.environ.get("LOG_LEVEL", "INFO"),
    access=os.environ.get("GUNICORN_ACCESS_LOG", "1") != "0",
)
