"""kopf registration only: every FlaskService gets one loop that reconciles it.

The loop is a kopf daemon, so kopf serialises work per object, stops it when the object
goes away or a higher-priority peer takes over, and hands it a live view of the object.
Spec or annotation changes wake the loop at once; otherwise it sleeps until the rollout
asks to be called again (next analysis) or the resync interval passes.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from typing import Any

import kopf

from flaskops import metrics
from flaskops.crd import GROUP, PLURAL, VERSION
from flaskops.runtime import Runtime

RESYNC_S = float(os.environ.get("FLASKOPS_RESYNC_SECONDS", "10"))


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Our own names for kopf's bookkeeping, chosen before the first release: renaming them
    # later would orphan the finalizers and annotations already written.
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.inactivity_timeout = 600
    settings.posting.level = logging.WARNING  # kopf's own chatter stays out of Events
    memo.runtime = Runtime.from_environment()


@kopf.on.update(GROUP, VERSION, PLURAL)
def changed(memo: kopf.Memo, **_: Any) -> None:
    wake = memo.get("wake")
    if wake is not None:
        wake.set()


@kopf.daemon(GROUP, VERSION, PLURAL, cancellation_timeout=30)
async def rollout_loop(
    stopped: kopf.DaemonStopped, body: kopf.Body, memo: kopf.Memo, **_: Any
) -> None:
    runtime: Runtime = memo.runtime
    wake = memo.setdefault("wake", asyncio.Event())
    while not stopped:
        wake.clear()
        snapshot = copy.deepcopy(dict(body))
        delay = await asyncio.to_thread(runtime.reconcile_and_report, snapshot)
        sleep = min(delay if delay is not None else RESYNC_S, RESYNC_S)
        waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=max(sleep, 0.2), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waiters:
                w.cancel()
    # Stopped: the object is gone (or another peer took over); forget its apply cache.
    runtime.reconciler.forget(body["metadata"]["uid"])
    metrics.forget(body["metadata"]["namespace"], body["metadata"]["name"])
