"""kopf registration only: watches feed one reconcile loop per FlaskService.

- FlaskService events start, wake and stop the loops (flaskops.scheduler).
- Indexes keep what a reconcile reads: each owned Deployment's readiness, each ConfigMap's
  and Secret's digest (flaskops.watch), so an idle FlaskService costs no API request.
- Events of owned Deployments and referenced ConfigMaps/Secrets wake their FlaskService.
The event handlers are coroutines: kopf runs them on its event loop, where the loops live
(kopf would run plain functions in a thread pool).

No handler here needs a finalizer (no daemons, timers or delete handlers): a FlaskService
and its namespace are deleted whether or not the operator runs, and its children go with it
through their owner references. kopf removes the finalizer older versions put on objects
(same name, no longer required) the first time it sees them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import kopf

from flaskops import metrics
from flaskops.apply import OWNER_LABEL
from flaskops.crd import GROUP, KIND, PLURAL, VERSION
from flaskops.runtime import Runtime
from flaskops.scheduler import PeeringPause, Scheduler, key_of
from flaskops.watch import content_entry, deployment_entry, observe_indexed

RESYNC_S = float(os.environ.get("FLASKOPS_RESYNC_SECONDS", "600"))
SHARD_SELECTOR = os.environ.get("FLASKOPS_SHARD_SELECTOR", "")  # set by operator_main
OWNED = {OWNER_LABEL: kopf.PRESENT}


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: Any, **kwargs: Any) -> None:
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
    # kopf's per-object worker keeps the object's last event while it waits for the next
    # (5 s by default). With 1,000 FlaskServices created at once, and their Deployments'
    # status changes, those bodies added up to the operator's peak memory. Our handlers
    # only hand the event on, so a worker has no reason to linger.
    settings.queueing.idle_timeout = 0.5
    # Server-side filters: owned Deployments only, and this instance's shard.
    settings.watching.label_selectors["apps", "deployments"] = OWNER_LABEL
    if SHARD_SELECTOR:
        settings.watching.label_selectors[GROUP, PLURAL] = SHARD_SELECTOR
    settings.posting.level = logging.WARNING  # kopf's own chatter stays out of Events
    # No CRD or namespace watch: with scanning on, kopf re-runs discovery (/apis and every
    # group) on each change of any CRD in the cluster, which other operators' CRD updates
    # make an at-rest cost, and it needs cluster-wide list/watch of both. Resources are
    # discovered once, after crd_served below; namespaces are the exact ones given.
    settings.scanning.disabled = True
    runtime = Runtime.from_environment()
    memo.runtime = runtime
    memo.scheduler = Scheduler(
        reconcile=runtime.reconcile_and_report,
        # kopf hands its indexes (live views) to every handler by their names.
        observe=lambda body: observe_indexed(
            body, kwargs["deployment_tracks"], kwargs["configmap_digests"], kwargs["secret_digests"]
        ),
        forget=runtime.reconciler.forget,
        resync_s=RESYNC_S,
        written=lambda uid: runtime.written.pop(uid, None),
    )
    logging.getLogger("kopf._core.engines.peering").addFilter(PeeringPause(memo.scheduler))


@kopf.on.startup()
def crd_served(memo: Any, **_: Any) -> None:
    """kopf's one discovery follows the startup handlers: until the CRD is served, wait here
    (a CRD installed with the operator may come a moment later), or kopf would watch
    nothing and never look again."""
    if not memo.runtime.kube.served(f"{GROUP}/{VERSION}", KIND, fresh=True):
        raise kopf.TemporaryError(
            f"the {KIND} CRD ({PLURAL}.{GROUP}) is not served yet: install it (operator "
            "chart crds.install=true, or kubectl apply --server-side -f "
            f"charts/flaskops-operator/files/{PLURAL}.{GROUP}.yaml); retrying",
            delay=5,
        )


@kopf.on.cleanup()
async def shutdown(*, memo: Any, **_: Any) -> None:
    await memo.scheduler.stop()


@kopf.index("apps", "v1", "deployments", labels=OWNED)
def deployment_tracks(*, namespace: str | None, name: str, body: kopf.Body, **_: Any) -> Any:
    assert namespace is not None
    return deployment_entry(namespace, name, body)


@kopf.index("v1", "configmaps")
def configmap_digests(*, namespace: str | None, name: str, body: kopf.Body, **_: Any) -> Any:
    assert namespace is not None
    return content_entry(namespace, name, body)


@kopf.index("v1", "secrets")
def secret_digests(*, namespace: str | None, name: str, body: kopf.Body, **_: Any) -> Any:
    assert namespace is not None
    return content_entry(namespace, name, body)


@kopf.on.event(GROUP, VERSION, PLURAL)
async def flaskservice_event(*, type: str, body: kopf.Body, memo: Any, **_: Any) -> None:
    if type == "DELETED":  # also: relabelled out of this shard (the selector stops matching)
        memo.scheduler.remove(key_of(body))
        # Its series go too, so no alert fires for a FlaskService that is gone.
        metrics.forget(body["metadata"]["namespace"], body["metadata"]["name"])
    else:
        memo.scheduler.upsert(body)


@kopf.on.event("apps", "v1", "deployments", labels=OWNED)
async def deployment_event(
    *, type: str, namespace: str | None, labels: Mapping[str, str], memo: Any, **_: Any
) -> None:
    memo.scheduler.wake((namespace, labels[OWNER_LABEL]), reapply=type == "DELETED")


@kopf.on.event("v1", "configmaps")
async def configmap_event(
    *, type: str, namespace: str | None, name: str, labels: Mapping[str, str], memo: Any, **_: Any
) -> None:
    owner = labels.get(OWNER_LABEL)
    if owner and type == "DELETED":  # the chart's own ConfigMap was deleted: apply it again
        memo.scheduler.wake((namespace, owner), reapply=True)
    memo.scheduler.wake_referencing(namespace, "ConfigMap", name)


@kopf.on.event("v1", "secrets")
async def secret_event(*, namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    memo.scheduler.wake_referencing(namespace, "Secret", name)
