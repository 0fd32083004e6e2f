"""One reconcile loop per FlaskService, woken by watch events, not by a clock.

Why not kopf daemons: kopf puts a finalizer on every object that has a daemon, so a
FlaskService (and its namespace) could not be deleted while the operator is down. These
loops are plain asyncio tasks fed by `@kopf.on.event`: nothing of them is stored on the
object, and a deleted object simply stops its loop. Per object, reconciles never overlap;
events that arrive during one are coalesced into the next.

A loop sleeps until an event wakes it, until the rollout asks to be called again (the next
analysis), or until the slow safety resync: reconciles from the watch caches cost no API
request, so the resync only guards against a missed event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flaskops.observe import Observation
from flaskops.watch import Key, references

log = logging.getLogger("flaskops")

Reconcile = Callable[[Mapping[str, Any], Observation], float | None]
Observe = Callable[[Mapping[str, Any]], Observation]
MIN_SLEEP_S = 0.05
# Reconciles in flight at once (each in a thread: helm and API calls). The others wait
# before decoding their object, so 1,000 FlaskServices created at once do not hold 1,000
# decoded bodies in the thread pool's queue.
CONCURRENCY = 4
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def key_of(body: Mapping[str, Any]) -> Key:
    return (body["metadata"]["namespace"], body["metadata"]["name"])


class Scheduler:
    def __init__(
        self,
        reconcile: Reconcile,
        observe: Observe,
        forget: Callable[[str], None],
        resync_s: float,
        written: Callable[[str], Mapping[str, Any] | None] = lambda uid: None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        """`written(uid)`: the object as the reconcile's own status write left it, if any."""
        self._reconcile, self._observe, self._forget = reconcile, observe, forget
        self._written = written
        self.resync_s = resync_s
        self._bodies: dict[Key, Kept] = {}
        self._wakers: dict[Key, asyncio.Event] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._refs: dict[tuple[str, str, str], set[Key]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self.paused = False

    def __len__(self) -> int:
        return len(self._bodies)

    def upsert(self, body: Mapping[str, Any]) -> None:
        """The latest version of an object this instance owns: (re)start or wake its loop."""
        key = key_of(body)
        if body["metadata"].get("deletionTimestamp"):
            self.remove(key)  # being deleted: the garbage collector takes the children
            return
        old = self._bodies.get(key)
        if old is not None and old.uid != body["metadata"]["uid"]:
            self._forget(old.uid)  # same name, a new object
        elif old is not None and _older(body, old):
            return  # the echo of a write whose result the loop already has
        self._set_refs(key, body)
        self._bodies[key] = kept(body)
        if key not in self._tasks and not self.paused:
            self._spawn(key)
        self.wake(key)

    def remove(self, key: Key) -> None:
        old = self._bodies.pop(key, None)
        self._set_refs(key, None)
        if old is not None:
            self._forget(old.uid)
        self.wake(key)  # the loop notices its body is gone and ends

    def wake(self, key: Key, *, reapply: bool = False) -> None:
        """`reapply`: something the operator applied went away; apply again even if the
        render did not change."""
        if reapply and key in self._bodies:
            self._forget(self._bodies[key].uid)
        waker = self._wakers.get(key)
        if waker is not None:
            waker.set()

    def wake_referencing(self, namespace: str, kind: str, name: str) -> None:
        for key in tuple(self._refs.get((namespace, kind, name), ())):
            self.wake(key)

    def pause(self) -> None:
        """Another instance is active (kopf peering): stop acting, keep nothing."""
        self.paused = True
        for key in tuple(self._bodies):
            self.remove(key)

    def resume(self) -> None:
        self.paused = False  # kopf re-lists after a pause: events bring every object back

    async def stop(self) -> None:
        self.paused = True  # no loop respawns while the operator exits
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _set_refs(self, key: Key, body: Mapping[str, Any] | None) -> None:
        for ref, keys in list(self._refs.items()):
            keys.discard(key)
            if not keys:
                del self._refs[ref]
        for ref in references(body) if body is not None else ():
            self._refs.setdefault(ref, set()).add(key)

    def _spawn(self, key: Key) -> None:
        self._wakers[key] = asyncio.Event()
        self._tasks[key] = asyncio.create_task(self._loop(key), name=f"reconcile {key}")

    async def _reconcile_once(self, key: Key, waker: asyncio.Event) -> float | None:
        stored = self._bodies.get(key)
        if stored is None or self.paused:  # deleted or paused while waiting for a slot
            return None
        waker.clear()  # events from here on wake the next round
        body = stored.body()
        try:
            seen = self._observe(body)
            delay = await asyncio.to_thread(self._reconcile, body, seen)
            fresh = self._written(body["metadata"]["uid"])
            current = self._bodies.get(key)
            if fresh is not None and current is not None and not _older(fresh, current):
                self._bodies[key] = kept(fresh)
        except Exception:  # the next event or resync tries again
            log.exception("reconcile loop of %s/%s failed", *key)
            delay = 5.0
        return delay

    async def _loop(self, key: Key) -> None:
        waker = self._wakers[key]
        try:
            while key in self._bodies and not self.paused:
                async with self._slots:
                    delay = await self._reconcile_once(key, waker)
                if key not in self._bodies or self.paused:
                    break
                resync = self.resync_s * random.uniform(0.9, 1.1)  # spread the resyncs out
                sleep = resync if delay is None else min(delay, resync)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(sleep, MIN_SLEEP_S)):
                        await waker.wait()
        finally:
            del self._tasks[key]
            del self._wakers[key]
            if key in self._bodies and not self.paused:  # re-added while this loop ended
                self._spawn(key)


@dataclass(frozen=True, slots=True)
class Kept:
    """A loop's copy of its object between reconciles: compressed JSON (about 1 KiB), with
    uid and resourceVersion at hand. As dicts the copies held about 19 KiB per
    FlaskService; the loop decodes its copy once per reconcile, which at rest is once per
    resync."""

    uid: str
    resource_version: str
    packed: bytes

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(zlib.decompress(self.packed))
        return out


def kept(body: Mapping[str, Any]) -> Kept:
    """What the loop keeps of an object: all but what no reconcile reads (managedFields are
    half of a FlaskService applied server-side; client-side apply's annotation is a second
    copy of the spec)."""
    meta = {k: v for k, v in body["metadata"].items() if k != "managedFields"}
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    blob = json.dumps({**body, "metadata": meta}, separators=(",", ":"), default=str)
    return Kept(meta["uid"], str(meta.get("resourceVersion", "")), zlib.compress(blob.encode(), 1))


def _older(a: Mapping[str, Any], b: Kept) -> bool:
    """a is an older version of the same object than b. resourceVersions are opaque in
    general but etcd's are increasing integers; anything else counts as not older."""
    try:
        return int(a["metadata"]["resourceVersion"]) < int(b.resource_version)
    except (KeyError, TypeError, ValueError):
        return False


class PeeringPause(logging.Filter):
    """Pause the loops when kopf peering pauses this instance, resume when it resumes.

    kopf stops its own daemons on a pause but has no hook for other tasks; its peering
    module logs each transition, and that log record, emitted on the event loop, is the one
    signal it offers. (A paused kopf also stops the watch streams, so no event restarts a
    loop until it resumes and re-lists.)"""

    def __init__(self, scheduler: Scheduler) -> None:
        super().__init__()
        self.scheduler = scheduler

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Pausing "):
            self.scheduler.pause()
        elif message.startswith("Resuming operations"):
            self.scheduler.resume()
        return True
