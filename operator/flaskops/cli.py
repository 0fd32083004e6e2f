"""`kubectl flaskops`: watch and steer rollouts.

  kubectl flaskops list [-n NS | -A]
  kubectl flaskops status NAME [-n NS] [--watch]
  kubectl flaskops promote|abort|pause|resume NAME [-n NS]

promote and abort name the canary (or blue/green preview) revision they apply to, so a
command typed for one revision can never act on a later one. With blueGreen, promote
switches the Service to the preview; abort tears the preview down, or, after the switch and
until scaleDownDelay has passed, switches straight back.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from flaskops.crd import GROUP, KIND, VERSION
from flaskops.kube import Kube, api_client
from flaskops.observe import ABORT_ANNOTATION, PROMOTE_ANNOTATION

API_VERSION = f"{GROUP}/{VERSION}"
FINAL_PHASES = {"Ready", "Failed"}


def bar(percent: int, width: int = 30) -> str:
    filled = round(width * max(0, min(percent, 100)) / 100)
    return "[" + "#" * filled + "." * (width - filled) + f"] {percent:3d}%"


def _cond(status: Mapping[str, Any], kind: str) -> str:
    for c in status.get("conditions") or []:
        if c.get("type") == kind:
            return str(c.get("status"))
    return "Unknown"


def render_status(obj: Mapping[str, Any]) -> str:
    """The live view of one FlaskService's rollout, as text."""
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    rollout = status.get("rollout") or {}
    steps = ((spec.get("rollout") or {}).get("canary") or {}).get("steps") or []
    lines = [
        f"{meta['namespace']}/{meta['name']}  phase: {status.get('phase', 'Unknown')}  "
        f"ready: {_cond(status, 'Ready')}  stalled: {_cond(status, 'Stalled')}",
        f"  stable:  {(rollout.get('stable') or {}).get('image', '-')}  "
        f"({(rollout.get('stable') or {}).get('id', '-')})",
    ]
    canary = rollout.get("canary")
    if canary:
        step = int(rollout.get("step", 0))
        lines.append(f"  canary:  {canary.get('image')}  ({canary.get('id')})")
        lines.append(
            f"  step {min(step + 1, len(steps))}/{len(steps)}  weight {bar(int(status.get('weight', 0)))}"
            f"  effective {status.get('effectiveWeight', 0)}%"
        )
        lines.append(
            f"  failed analyses: {rollout.get('failedChecks', 0)}"
            f"  inconclusive: {rollout.get('inconclusiveChecks', 0)}"
        )
    preview = rollout.get("preview")
    if preview:
        active = "preview" if rollout.get("switchedAt") is not None else "stable"
        lines.append(f"  preview: {preview.get('image')}  ({preview.get('id')})")
        lines.append(
            f"  active Service -> {active}  passed analyses: {rollout.get('step', 0)}"
            f"  failed: {rollout.get('failedChecks', 0)}"
            f"  inconclusive: {rollout.get('inconclusiveChecks', 0)}"
        )
    analysis = rollout.get("lastAnalysis") or {}
    for check in analysis.get("checks") or []:
        value = check.get("value")
        shown = "no data" if value is None or isinstance(value, str) else f"{value:.3f}"
        mark = {"pass": "ok  ", "fail": "FAIL", "inconclusive": "??  "}.get(
            check.get("outcome"), ""
        )
        lines.append(
            f"  {mark} {check.get('name'):<14} {shown:>10}  (want {check.get('threshold')})"
        )
    if status.get("message"):
        lines.append(f"  {status['message']}")
    return "\n".join(lines)


def render_list(items: Sequence[Mapping[str, Any]]) -> str:
    rows = [("NAMESPACE", "NAME", "PHASE", "WEIGHT", "EFFECTIVE", "IMAGE", "READY")]
    for obj in items:
        st = obj.get("status") or {}
        rows.append(
            (
                obj["metadata"]["namespace"],
                obj["metadata"]["name"],
                str(st.get("phase", "-")),
                str(st.get("weight", 0)),
                str(st.get("effectiveWeight", 0)),
                str(st.get("image", "-")),
                str(st.get("ready", "-")),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _canary_id(obj: Mapping[str, Any]) -> str:
    rollout = (obj.get("status") or {}).get("rollout") or {}
    track = rollout.get("canary") or rollout.get("preview")
    if not track:
        raise SystemExit(f"{obj['metadata']['name']}: no canary or preview in progress")
    return str(track["id"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="kubectl flaskops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("command", choices=["list", "status", "promote", "abort", "pause", "resume"])
    p.add_argument("name", nargs="?")
    p.add_argument("-n", "--namespace", default=None)
    p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument(
        "-w", "--watch", action="store_true", help="status: refresh until Ready or Failed"
    )
    p.add_argument("--interval", type=float, default=1.0)
    args = p.parse_args(argv)
    kube = Kube(api_client())
    namespace = args.namespace or _current_namespace()

    if args.command == "list":
        items = kube.list(API_VERSION, KIND, None if args.all_namespaces else namespace)
        print(render_list(items))
        return 0
    if not args.name:
        p.error(f"{args.command} needs a FlaskService name")
    obj = kube.get(API_VERSION, KIND, args.name, namespace)
    if obj is None:
        print(f"FlaskService {namespace}/{args.name} not found", file=sys.stderr)
        return 1
    if args.command == "status":
        return _status(kube, obj, args.watch, args.interval)
    if args.command in ("promote", "abort"):
        key = PROMOTE_ANNOTATION if args.command == "promote" else ABORT_ANNOTATION
        revision = _canary_id(obj)
        kube.patch(
            API_VERSION, KIND, args.name, namespace, {"metadata": {"annotations": {key: revision}}}
        )
        print(f"{args.command} requested for revision {revision} of {namespace}/{args.name}")
        return 0
    paused = args.command == "pause"
    kube.patch(API_VERSION, KIND, args.name, namespace, {"spec": {"rollout": {"paused": paused}}})
    print(f"{namespace}/{args.name} {'paused' if paused else 'resumed'}")
    return 0


def _status(kube: Kube, obj: Mapping[str, Any], watch: bool, interval: float) -> int:
    name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
    while True:
        text = render_status(obj)
        if watch and sys.stdout.isatty():
            sys.stdout.write("\x1b[H\x1b[2J")
        print(text, flush=True)
        phase = (obj.get("status") or {}).get("phase")
        if not watch or (phase in FINAL_PHASES and not _track_in_flight(obj)):
            return 0
        time.sleep(interval)
        fresh = kube.get(API_VERSION, KIND, name, namespace)
        if fresh is None:
            return 1
        obj = fresh


def _track_in_flight(obj: Mapping[str, Any]) -> bool:
    rollout = (obj.get("status") or {}).get("rollout") or {}
    return bool(rollout.get("canary") or rollout.get("preview"))


def _current_namespace() -> str:
    from kubernetes import config

    try:
        _, active = config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
        return str(active["context"].get("namespace") or "default")
    except (config.ConfigException, KeyError, TypeError):
        return "default"


if __name__ == "__main__":
    sys.exit(main())
