"""What the watches keep and what a reconcile reads from it; the per-object loops; shards."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import pytest
from flaskops.observe import ABSENT, Observation, data_digest
from flaskops.scheduler import PeeringPause, Scheduler, kept
from flaskops.watch import content_entry, deployment_entry, observe_indexed, shard_selector


def deployment(name: str, owner: str | None, ready: int, want: int = 2) -> dict[str, Any]:
    labels = {"flaskops.io/flaskservice": owner} if owner else {}
    return {
        "metadata": {"name": name, "generation": 3, "labels": labels},
        "spec": {
            "replicas": want,
            "template": {"metadata": {"annotations": {"flaskops.io/revision": "r1"}}},
        },
        "status": {
            "observedGeneration": 3,
            "replicas": want,
            "updatedReplicas": want,
            "readyReplicas": ready,
        },
    }


def fsvc(name: str = "a", uid: str = "u1", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"namespace": "ns", "name": name, "uid": uid}, "spec": spec}


def index(*entries: Mapping[Any, Any]) -> dict[Any, list[Any]]:
    """The shape of a kopf index: key -> every value produced under it."""
    out: dict[Any, list[Any]] = {}
    for entry in entries:
        for key, value in entry.items():
            out.setdefault(key, []).append(value)
    return out


def test_deployments_are_indexed_under_their_flaskservice_as_tracks() -> None:
    assert deployment_entry("ns", "x", deployment("x", None, 2)) == {}
    entry = deployment_entry("ns", "a-canary", deployment("a-canary", "a", 1))
    (key, (name, track)), *_ = entry.items()
    assert key == ("ns", "a")
    assert name == "a-canary"
    assert (track.exists, track.ready, track.ready_replicas, track.revision) == (
        True,
        False,
        1,
        "r1",
    )


def test_observation_from_indexes_has_tracks_and_referenced_digests() -> None:
    deployments = index(
        deployment_entry("ns", "a", deployment("a", "a", 2)),
        deployment_entry("ns", "a-canary", deployment("a-canary", "a", 0)),
        deployment_entry("other", "a", deployment("a", "a", 0)),
    )
    configmaps = index(content_entry("ns", "shared", {"data": {"K": "v"}}))
    secrets: dict[Any, list[Any]] = {}
    body = fsvc(
        config={"existingConfigMap": "shared"},
        envFrom=[{"secretRef": {"name": "missing"}}],
    )
    seen = observe_indexed(body, deployments, configmaps, secrets)
    assert seen.track("a").ready
    assert not seen.track("a-canary").ready
    assert seen.track("a-blue") == ABSENT
    assert seen.referenced == {
        "ConfigMap/shared": data_digest({"data": {"K": "v"}}),
        "Secret/missing": None,
    }
    # A content change is a different digest; binaryData counts too.
    assert data_digest({"data": {"K": "w"}}) != data_digest({"data": {"K": "v"}})
    assert data_digest({"binaryData": {"K": "dg=="}}) != data_digest({})


@pytest.mark.parametrize(
    ("values", "unlabelled", "selector"),
    [
        ([], False, None),
        ([""], False, None),
        (["b", "a", "a"], False, "flaskops.io/shard in (a,b)"),
        ([], True, "!flaskops.io/shard"),
    ],
)
def test_shard_selectors_follow_fluxs_model(
    values: list[str], unlabelled: bool, selector: str | None
) -> None:
    assert shard_selector(values, unlabelled) == selector


def test_bad_shard_arguments_name_the_flag() -> None:
    with pytest.raises(ValueError, match="--shard and --shard-unlabelled"):
        shard_selector(["a"], True)
    with pytest.raises(ValueError, match="--shard 'no spaces'"):
        shard_selector(["no spaces"], False)


class Recorder:
    """Stands in for the reconcile (the thing around the loops under test here)."""

    def __init__(self, delay: float | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.forgotten: list[str] = []
        self.delay = delay
        self.busy = 0.0

    def reconcile(self, body: Mapping[str, Any], seen: Observation) -> float | None:
        import time

        self.calls.append((body["metadata"]["name"], len(body.get("spec") or {})))
        time.sleep(self.busy)
        return self.delay

    def scheduler(self, resync: float = 60.0) -> Scheduler:
        return Scheduler(self.reconcile, lambda b: Observation(), self.forgotten.append, resync)


def in_loop(fn: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Run an async test on a fresh event loop (the loops are asyncio tasks)."""
    return functools.wraps(fn)(lambda: asyncio.run(fn()))


async def settle() -> None:
    await asyncio.sleep(0.15)


@in_loop
async def test_events_wake_a_loop_and_an_idle_loop_does_nothing() -> None:
    rec = Recorder()
    s = rec.scheduler()
    s.upsert(fsvc())
    await settle()
    assert rec.calls == [("a", 0)]
    await settle()
    assert rec.calls == [("a", 0)], "an idle loop reconciled without an event"
    s.upsert(fsvc(image={"repository": "r"}))
    await settle()
    assert rec.calls[-1] == ("a", 1)
    await s.stop()


@in_loop
async def test_events_during_a_reconcile_coalesce_into_one_more() -> None:
    rec = Recorder()
    rec.busy = 0.2
    s = rec.scheduler()
    s.upsert(fsvc())
    await asyncio.sleep(0.05)
    for n in range(5):
        s.upsert(fsvc(**{f"k{i}": i for i in range(n + 1)}))
    await asyncio.sleep(0.7)
    assert rec.calls == [("a", 0), ("a", 5)]
    await s.stop()


@in_loop
async def test_the_rollout_asks_for_its_next_call_and_the_resync_caps_it() -> None:
    rec = Recorder(delay=0.1)
    s = rec.scheduler()
    s.upsert(fsvc())
    await asyncio.sleep(0.45)
    assert 3 <= len(rec.calls) <= 6
    await s.stop()
    rec2 = Recorder(delay=None)
    s2 = rec2.scheduler(resync=0.1)
    s2.upsert(fsvc())
    await asyncio.sleep(0.45)
    assert 3 <= len(rec2.calls) <= 6
    await s2.stop()


@in_loop
async def test_deleted_objects_stop_their_loop_and_are_forgotten() -> None:
    rec = Recorder()
    s = rec.scheduler()
    s.upsert(fsvc(uid="u1"))
    await settle()
    s.upsert({**fsvc(uid="u1"), "metadata": {**fsvc()["metadata"], "deletionTimestamp": "t"}})
    await settle()
    assert len(s) == 0
    assert rec.forgotten == ["u1"]
    s.upsert(fsvc(uid="u2"))  # recreated under the same name
    await settle()
    s.remove(("ns", "a"))
    await settle()
    assert rec.forgotten == ["u1", "u2"]
    assert len(rec.calls) == 2
    await s.stop()


@in_loop
async def test_referenced_objects_and_deleted_children_wake_their_owner() -> None:
    rec = Recorder()
    s = rec.scheduler()
    s.upsert(fsvc("a", config={"existingConfigMap": "shared"}))
    s.upsert(fsvc("b", uid="u2"))
    await settle()
    s.wake_referencing("ns", "ConfigMap", "shared")
    s.wake_referencing("ns", "ConfigMap", "unrelated")
    await settle()
    assert [c[0] for c in rec.calls].count("a") == 2
    assert [c[0] for c in rec.calls].count("b") == 1
    s.wake(("ns", "b"), reapply=True)
    await settle()
    assert rec.forgotten == ["u2"]
    assert [c[0] for c in rec.calls].count("b") == 2
    await s.stop()


@in_loop
async def test_a_peering_pause_stops_every_loop_until_it_resumes() -> None:
    import logging

    rec = Recorder(delay=0.05)
    s = rec.scheduler()
    log = logging.getLogger("test.peering")
    log.addFilter(PeeringPause(s))
    s.upsert(fsvc())
    await settle()
    log.warning("Pausing operations in favour of [peer]")
    await settle()
    paused_at = len(rec.calls)
    await settle()
    assert len(rec.calls) == paused_at
    assert len(s) == 0
    s.upsert(fsvc())  # a stale event while paused starts nothing
    await settle()
    assert len(rec.calls) == paused_at
    log.warning("Resuming operations after the pause.")
    s.upsert(fsvc())  # kopf re-lists after resuming
    await settle()
    assert len(rec.calls) > paused_at
    await s.stop()


@in_loop
async def test_a_loop_reads_its_own_status_write_not_the_stale_echo() -> None:
    seen_status: list[Any] = []

    def reconcile(body: Mapping[str, Any], seen: Observation) -> float | None:
        seen_status.append((body.get("status") or {}).get("step"))
        return None

    def versioned(rv: int, step: int | None) -> dict[str, Any]:
        body = fsvc()
        body["metadata"]["resourceVersion"] = str(rv)
        if step is not None:
            body["status"] = {"step": step}
        return body

    writes = {"u1": versioned(5, 1)}  # what the first reconcile's status patch returned
    s = Scheduler(reconcile, lambda b: Observation(), lambda uid: None, 60.0, writes.pop)
    s.upsert(versioned(3, None))
    await settle()
    s.upsert(versioned(4, None))  # an event from before the write arrives late: ignored
    await settle()
    s.wake(("ns", "a"))
    await settle()
    assert seen_status == [None, 1]
    await s.stop()


def test_a_loop_keeps_its_own_copy_without_managed_fields_or_last_applied() -> None:
    body = fsvc(image={"repository": "r"})
    body["metadata"]["resourceVersion"] = "42"
    body["metadata"]["managedFields"] = [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]
    body["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"spec": {}}',
        "flaskops.io/promote": "now",
    }
    stored = kept(body)
    assert (stored.uid, stored.resource_version) == ("u1", "42")
    copy = stored.body()
    assert "managedFields" not in copy["metadata"]
    assert copy["metadata"]["annotations"] == {"flaskops.io/promote": "now"}
    assert copy["spec"] == body["spec"]
    assert copy["metadata"]["uid"] == "u1"
    copy["spec"]["image"]["repository"] = "changed"  # each reconcile gets its own copy
    assert stored.body()["spec"]["image"]["repository"] == "r"
    assert body["spec"]["image"]["repository"] == "r"
    assert "managedFields" in body["metadata"]


@in_loop
async def test_at_most_concurrency_reconciles_run_at_once_and_all_run() -> None:
    import threading
    import time

    lock, running, peak, done = threading.Lock(), [0], [0], []

    def reconcile(body: Mapping[str, Any], seen: Observation) -> float | None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
            done.append(body["metadata"]["name"])
        return None

    s = Scheduler(reconcile, lambda b: Observation(), lambda uid: None, 60.0, concurrency=2)
    for i in range(8):
        s.upsert(fsvc(name=f"s{i}", uid=f"u{i}"))
    for _ in range(40):
        await asyncio.sleep(0.05)
        if len(done) == 8:
            break
    assert sorted(done) == [f"s{i}" for i in range(8)]
    assert peak[0] == 2
    await s.stop()
