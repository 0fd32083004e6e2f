"""One reconcile of one FlaskService: observe, decide (pure), render, apply, prune, report.

Level-based: everything is recomputed from the object and the cluster each time, so
running it twice changes nothing, and an operator killed at any point resumes from what
status says. Rendering and applying are skipped when nothing they depend on changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flaskops import observe, prepromotion, tracks
from flaskops.apply import Applier, Owner, identity
from flaskops.crd import GROUP, KIND, VERSION
from flaskops.kube import Kube
from flaskops.render import Renderer, RenderError
from flaskops.rollout import (
    Analysis,
    CheckResult,
    Decision,
    Event,
    RolloutState,
    Strategy,
    analysis_due,
    decide,
    prepromotion_due,
)

log = logging.getLogger(__name__)

API_VERSION = f"{GROUP}/{VERSION}"
# Re-apply even an unchanged render this often, so hand-edited children come back
# (level-based). Deleted children come back at once (the watches forget the apply cache),
# so this is only a slow safety net: controller-runtime's default SyncPeriod is 10 h, and
# at 1,000 services anything faster than hours costs more API requests at rest than the
# whole operator may spend (docs/benchmarks.md).
FULL_RESYNC_S = float(os.environ.get("FLASKOPS_REAPPLY_SECONDS", "36000"))

# (spec, namespace, name, now, track, revision of that track)
Analyze = Callable[[Mapping[str, Any], str, str, float, str, str | None], Analysis]
Probe = Callable[[Mapping[str, Any], str, str], CheckResult | None]
BuildStatus = Callable[..., dict[str, Any]]


@dataclass
class Result:
    status: dict[str, Any]
    events: list[Event]
    requeue_after: float | None


@dataclass
class Reconciler:
    kube: Kube
    renderer: Renderer
    analyze: Analyze
    build_status: BuildStatus
    clock: Callable[[], float] = time.time
    probe: Probe = prepromotion.send  # blueGreen: the requests sent to the preview
    # uid -> (render hash, time of last apply): skip re-applying what is already there.
    _applied: dict[str, tuple[str, float]] = field(default_factory=dict)
    _kept: dict[str, frozenset[tuple[str, str, str]]] = field(default_factory=dict)

    def reconcile(self, body: Mapping[str, Any], seen: observe.Observation | None = None) -> Result:
        """`seen` is what the watches already know; without it the cluster is read by GETs."""
        meta, spec = body["metadata"], body.get("spec") or {}
        status = body.get("status") or {}
        name, namespace = meta["name"], meta["namespace"]
        now = self.clock()
        owner = Owner(API_VERSION, KIND, name, namespace, meta["uid"])

        policy = tracks.policy(spec)
        if seen is None:
            seen = observe.observe_api(self.kube, body)
        desired = tracks.desired_revision(spec, tracks.content_digest(seen.referenced))
        state = RolloutState.from_dict(status.get("rollout"))
        remembered = dict(status.get("trackValues") or {})
        remembered.setdefault(desired.id, tracks.track_values(spec))

        stable_track = seen.track(name)
        canary_track = seen.track(f"{name}-canary")
        preview_track = seen.track(f"{name}-preview")
        analysis = None
        if analysis_due(policy, state, now):
            blue_green = policy.strategy is Strategy.BLUE_GREEN
            probed = (
                self.probe(spec, namespace, name) if prepromotion_due(policy, state, now) else None
            )
            # The analysed revision's series only: not a previous canary's, still in the
            # rate() window right after a promotion (see flaskops.analysis).
            analysed = state.preview if blue_green else state.canary
            analysis = self.analyze(
                spec,
                namespace,
                name,
                now,
                "preview" if blue_green else "canary",
                analysed.id if analysed else None,
            )
            if probed is not None:
                analysis = replace(analysis, checks=(*analysis.checks, probed))
        decision = decide(
            policy,
            state,
            desired,
            now,
            analysis,
            observe.commands(meta.get("annotations") or {}),
            observe.observed(stable_track, canary_track, preview_track),
        )
        plan = decision.render
        keep = {r.id for r in (plan.stable, plan.canary, plan.preview, desired) if r}
        remembered = {k: v for k, v in remembered.items() if k in keep}
        traffic = tracks.traffic_mode(spec)
        values = tracks.render_values(
            spec, decision.render, traffic, remembered, canary_ready=canary_track.ready_replicas > 0
        )
        if values["canary"].get("enabled") and values["canary"]["weight"] != plan.weight:
            # The route waits for the canary's pods: look again soon rather than at the
            # next analysis.
            decision = replace(
                decision,
                render=replace(plan, weight=0),  # what the route gives it (effectiveWeight)
                requeue_after=min(decision.requeue_after or 2.0, 2.0),
            )
        values.setdefault("fullnameOverride", name)

        error = None
        try:
            objects = self.renderer.render(name, namespace, values)
            self._apply(objects, owner, now)
        except RenderError as e:
            # Nothing is applied and the rollout does not move: running children stay as
            # they are until the spec renders again.
            error = ("RenderFailed", str(e))
            decision = Decision(state=state, render=decision.render, events=(), requeue_after=None)

        new_status = self.build_status(
            generation=meta.get("generation", 0),
            previous=status,
            decision=decision,
            stable=stable_track,
            canary=canary_track,
            traffic=tracks.traffic_mode(spec),
            error=error,
            now=now,
        )
        new_status["trackValues"] = remembered
        new_status["image"] = decision.state.stable.image if decision.state.stable else ""
        new_status["ready"] = f"{stable_track.ready_replicas}/{stable_track.replicas}"
        return Result(new_status, list(decision.events), decision.requeue_after)

    def _apply(self, objects: list[dict[str, Any]], owner: Owner, now: float) -> None:
        digest = hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
        last = self._applied.get(owner.uid)
        if last and last[0] == digest and now - last[1] < FULL_RESYNC_S:
            return
        applier = Applier(self.kube)
        applier.apply(objects, owner)
        kept = frozenset(identity(o) for o in objects)
        # Prune (a LIST per kind) only when the set of objects may have changed: after a
        # restart (nothing remembered) or when the render's set differs from the last one.
        if last is None or self._kept.get(owner.uid) != kept:
            applier.prune(objects, owner)
        self._kept[owner.uid] = kept
        self._applied[owner.uid] = (digest, now)

    def forget(self, uid: str) -> None:
        """Drop what is remembered of an object that went away."""
        self._applied.pop(uid, None)
        self._kept.pop(uid, None)
