"""Gunicorn settings for the example token issuer: `gunicorn -c gunicorn.conf.py`.

One worker, always: authorization codes and refresh tokens are kept in its memory.
"""

import os
from pathlib import Path

from flaskops_flask.gunicorn import json_logconfig
from flaskops_flask.gunicorn_conf import *  # noqa: F403

wsgi_app = "issuer.app:create_app()"
chdir = str(Path(__file__).resolve().parent)  # makes the `issuer` package importable
bind = os.environ.get("BIND", "0.0.0.0:8003")
workers = 1
logconfig_dict = json_logconfig(
    "issuer",
    level=os.environ.get("LOG_LEVEL", "INFO"),
    access=os.environ.get("GUNICORN_ACCESS_LOG", "1") != "0",
)
