"""Gunicorn settings for orders: `gunicorn -c gunicorn.conf.py` (the app path is set below).

Every value can be changed through the environment, so the same image runs on a laptop,
in the benchmark and in a pod.
"""

import os
from pathlib import Path

from flaskops.flask.gunicorn import child_exit, env_int, json_logconfig, prepare_multiproc_dir

# prometheus-client multiprocess mode: every worker writes its metrics to a file in this
# directory and /metrics sums them. Set before any worker imports prometheus_client.
prepare_multiproc_dir()

wsgi_app = "orders.app:create_app()"
chdir = str(Path(__file__).resolve().parent)  # makes the `orders` package importable
bind = os.environ.get("BIND", "0.0.0.0:8000")

# Processes for CPU (the GIL), threads for waiting on I/O such as calls to other services.
workers = env_int("WEB_CONCURRENCY", 2)
threads = env_int("GUNICORN_THREADS", 4)
# A worker silent for `timeout` seconds is killed and replaced. On SIGTERM a worker stops
# accepting, finishes its requests and exits within `graceful_timeout`, which must stay
# below the pod's terminationGracePeriodSeconds (30 s by default).
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Heartbeat files in memory: no disk writes, and works with a read-only root filesystem.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None
# gunicorn's runtime control socket (gunicornc) is not used in a pod; off, so that several
# instances on one machine do not fight over its default path.
control_socket_disable = True

# JSON lines on stdout for gunicorn's own log and its access log (GUNICORN_ACCESS_LOG=0: off).
logconfig_dict = json_logconfig(
    "orders",
    level=os.environ.get("LOG_LEVEL", "INFO"),
    access=os.environ.get("GUNICORN_ACCESS_LOG", "1") != "0",
)

# Server hooks are module globals: `child_exit` (imported above) removes a dead worker's
# files from the live gauges.
__all__ = ["child_exit"]
