"""The operator's I/O edge around one reconcile: status patch, Events, metrics, traces."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

from flaskops import events, metrics
from flaskops.analysis import run_analysis
from flaskops.crd import KIND
from flaskops.kube import Kube, api_client
from flaskops.observe import Observation
from flaskops.reconcile import API_VERSION, Reconciler, Result
from flaskops.render import Renderer, api_versions_for, default_chart
from flaskops.status import build_status

log = logging.getLogger("flaskops")
tracer = trace.get_tracer("flaskops.operator")


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch turning old into new (keys that went away become null)."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            sub = merge_patch(before, value)
            if sub:
                patch[key] = sub
        elif value != before:
            patch[key] = value
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


@dataclass
class Runtime:
    kube: Kube
    reconciler: Reconciler
    # uid -> the object as our last status patch left it (read-your-writes for the loops).
    written: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> Runtime:
        kube = Kube(api_client())
        renderer = Renderer(
            chart=default_chart(),
            helm=os.environ.get("FLASKOPS_HELM", "helm"),
            api_versions=api_versions_for(kube.group_versions()),
        )
        return cls(kube, Reconciler(kube, renderer, run_analysis, build_status))

    def reconcile_and_report(
        self, body: Mapping[str, Any], seen: Observation | None = None
    ) -> float | None:
        meta = body["metadata"]
        ns, name = meta["namespace"], meta["name"]
        started = time.perf_counter()
        renders_before = self.reconciler.renderer.renders
        with tracer.start_as_current_span(
            "flaskops.reconcile", attributes={"k8s.namespace.name": ns, "flaskops.name": name}
        ) as span:
            # Writing the status and Events is part of the reconcile: a forbidden status
            # patch counts as an error like a forbidden apply (the alert and the dashboard
            # read the counter), and is retried the same way.
            try:
                result = self.reconciler.reconcile(body, seen)
                self._report(body, result)
            except Exception as e:
                metrics.RECONCILE_ERRORS.labels(type(e).__name__).inc()
                span.record_exception(e)
                log.exception("reconcile of %s/%s failed", ns, name)
                return 5.0
            span.set_attribute("flaskops.phase", str(result.status.get("phase", "")))
        metrics.HELM_RENDERS.inc(self.reconciler.renderer.renders - renders_before)
        metrics.RECONCILE_SECONDS.observe(time.perf_counter() - started)
        return result.requeue_after

    def _report(self, body: Mapping[str, Any], result: Result) -> None:
        meta = body["metadata"]
        ns, name = meta["namespace"], meta["name"]
        # Events first, under names that repeat with their transition (flaskops.events): a
        # crash before the status patch re-sends the same Events, never a second one.
        for event in result.events:
            events.post(self.kube, body, event, result.status, time.time())
            log.info("%s/%s %s: %s", ns, name, event.reason, event.message)
            outcome = metrics.OUTCOME_BY_REASON.get(event.reason)
            if outcome:
                metrics.SERIES.rollout_finished(ns, name, outcome)
        patch = merge_patch(body.get("status") or {}, result.status)
        if patch:
            # Kept for the next reconcile, which must not decide again from the status
            # before this one (its watch event may not have arrived yet).
            self.written[meta["uid"]] = self.kube.patch_status(API_VERSION, KIND, name, ns, patch)
        status = result.status
        metrics.report_state(ns, name, body.get("spec") or {}, status)
        analysis = status.get("analysis") or {}
        before = (body.get("status") or {}).get("analysis") or {}
        if analysis and analysis.get("at") != before.get("at"):  # a new analysis, counted once
            for check in analysis.get("checks") or []:
                metrics.SERIES.checked(
                    ns, name, check["name"], check["outcome"], check.get("value")
                )
