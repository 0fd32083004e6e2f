"""gunicorn.conf.py as telemetry/README.md shows it: the kit's production defaults and hooks."""

from pathlib import Path

from flaskops_flask.gunicorn import json_logconfig
from flaskops_flask.gunicorn_conf import *  # noqa: F403

wsgi_app = "userapp.app:create_app()"
chdir = str(Path(__file__).resolve().parent)
logconfig_dict = json_logconfig("userapp")
