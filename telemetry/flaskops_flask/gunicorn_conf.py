"""Production gunicorn settings for a flaskops service, every one overridable by environment.

A service's gunicorn.conf.py star-imports this module and adds what is its own (the app
path, its default port, its log name):

    from flaskops_flask.gunicorn_conf import *  # noqa: F403
    wsgi_app = "orders.app:create_app()"

Importing it prepares prometheus-client's multiprocess directory, which must happen in the
gunicorn master before any worker imports prometheus_client.
"""

from __future__ import annotations

import os
from pathlib import Path

from flaskops_flask.gunicorn import child_exit, env_int, post_worker_init, prepare_multiproc_dir

__all__ = [
    "bind",
    "child_exit",
    "control_socket_disable",
    "graceful_timeout",
    "keepalive",
    "post_worker_init",
    "threads",
    "timeout",
    "worker_tmp_dir",
    "workers",
]

# Each worker writes its metrics to a file in $PROMETHEUS_MULTIPROC_DIR; /metrics sums them.
prepare_multiproc_dir()

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
# Server hooks, imported above: `child_exit` removes a dead worker's files from the live
# gauges; `post_worker_init` freezes the loaded app out of the garbage collector's full
# collections (GUNICORN_GC_FREEZE=0: off).
