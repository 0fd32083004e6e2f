"""`make bench-operator`: the operator with N FlaskServices created at once, against the
API's own cost of the same N services (`helm template` + server-side apply), on the local
control plane (hack/bench-cluster.yaml: a /16 Service CIDR; a fake node per 100 pods).

Per N: time to all Ready for both and their ratio; the operator's peak RSS and CPU
(including its helm children); its API requests while creating and during 60 s at rest
(the API server's audit log, by the operator's ServiceAccount); and the time from a
Deployment's last status change to the operator's status report (audit timestamps), both
while the N services are created (queued behind the others' renders) and for one change
at a time at rest.
Results replace this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.audit import AuditLog, audit_log_path, timestamp  # noqa: E402
from tests.support.kube import Helm, Kubectl  # noqa: E402
from tests.support.operator import (  # noqa: E402
    OPERATOR_CHART,
    SERVICE_CHART,
    serviceaccount_kubeconfig,
)
from tests.support.tools import require  # noqa: E402

BEGIN, END = "<!-- bench-operator:begin -->", "<!-- bench-operator:end -->"
CLUSTER = "flaskops-bench"
SYSTEM_NS = "flaskops-system"
RELEASE = "flaskops"
TICK = os.sysconf("SC_CLK_TCK")


def spec(i: int) -> dict[str, Any]:
    return {"image": {"repository": "registry.example/catalog", "tag": "1.0.0"}, "replicaCount": 1}


def cluster(nodes: int) -> Path:
    env = {**os.environ, "CLUSTER_CONFIG": str(REPO / "hack/bench-cluster.yaml"),
           "CLUSTER_NODES": str(nodes)}  # fmt: skip
    out = subprocess.run(["bash", str(REPO / "hack/cluster.sh"), "up", CLUSTER], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return Path(out.strip().splitlines()[-1].removeprefix("export KUBECONFIG="))


def all_ready(kubectl: Kubectl, kind: str, ns: str, n: int, ok: Any, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        items = kubectl.json("get", kind, "-n", ns)["items"]
        if len(items) == n and all(ok(o) for o in items):
            return time.monotonic()
        time.sleep(1)
    raise RuntimeError(f"{kind} in {ns} not all ready after {timeout}s")


def deploy_ready(d: dict[str, Any]) -> bool:
    st = d.get("status") or {}
    return (
        st.get("readyReplicas", 0) == d["spec"].get("replicas", 1)
        and st.get("observedGeneration", 0) >= d["metadata"]["generation"]
    )


def fsvc_ready(o: dict[str, Any]) -> bool:
    st = o.get("status") or {}
    conds = {c["type"]: c["status"] for c in st.get("conditions") or []}
    return (
        st.get("observedGeneration") == o["metadata"]["generation"] and conds.get("Ready") == "True"
    )


def baseline(kubectl: Kubectl, helm: str, n: int, workdir: Path) -> float:
    ns = f"bench-base-{n}"
    kubectl.run("create", "namespace", ns)
    started = time.monotonic()

    def render(i: int) -> str:
        values = workdir / f"base-{i}.json"
        values.write_text(json.dumps({**spec(i), "fullnameOverride": f"svc-{i}"}))
        return subprocess.run(
            [helm, "template", f"svc-{i}", str(SERVICE_CHART), "-n", ns, "-f", str(values), "--no-hooks"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    with ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(render, range(n)))
    manifest = workdir / f"base-{n}.yaml"
    manifest.write_text("\n---\n".join(docs))
    kubectl.run("apply", "--server-side", "-n", ns, "-f", str(manifest), timeout=1800)
    done = all_ready(kubectl, "deployments", ns, n, deploy_ready, 1800)
    return done - started


class Sampler(threading.Thread):
    """Peak RSS and CPU (own + waited-for children: the helm subprocesses) of a process."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.stopped = pid, 0, threading.Event()

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK  # utime stime cutime cstime

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))


def readiness_latencies(events: list[dict[str, Any]], ns: str, user: str) -> list[float]:
    changed: dict[str, float] = {}
    reports: dict[str, list[float]] = defaultdict(list)
    for e in events:
        ref = e.get("objectRef") or {}
        if ref.get("namespace") != ns or ref.get("subresource") != "status":
            continue
        if ref.get("resource") == "deployments":
            changed[ref["name"]] = max(changed.get(ref["name"], 0.0), timestamp(e))
        elif ref.get("resource") == "flaskservices" and e["user"]["username"] == user:
            reports[ref["name"]].append(timestamp(e))
    out = []
    for name, t in changed.items():
        after = [r for r in reports.get(name, []) if r >= t]
        if after:
            out.append(min(after) - t)
    return out


def readiness_at_rest(
    kubectl: Kubectl, audit: AuditLog, ns: str, user: str, n: int, sample: int = 20
) -> list[float]:
    """One service at a time, 2 s apart, scaled 1 -> 2 replicas: the time from its
    Deployment's last status change to the operator's status report, with nothing queued
    in front of it (during the mass creation, the helm renders of the others are)."""
    mark = audit.mark()
    for i in range(0, n, max(n // sample, 1))[:sample]:
        kubectl.run("patch", "flaskservice", f"svc-{i}", "-n", ns, "--type=merge",
                    "-p", json.dumps({"spec": {"replicaCount": 2}}))  # fmt: skip
        time.sleep(2)
    time.sleep(10)
    return readiness_latencies(audit.events(mark), ns, user)


def operator_run(
    kubectl: Kubectl, kubeconfig: Path, n: int, workdir: Path, rest_s: float
) -> dict[str, Any]:
    ns = f"bench-op-{n}"
    kubectl.run("create", "namespace", ns)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "FLASKOPS_CHART": str(SERVICE_CHART),
           "FLASKOPS_HELM": require("helm"), "HELM_CACHE_HOME": str(workdir / "hc"),
           "HELM_CONFIG_HOME": str(workdir / "hcfg")}  # fmt: skip
    log = (workdir / f"operator-{n}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flaskops.operator_main", "--metrics-port", "0", "--health-port", "0",
         "--log-format", "plain"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
    )  # fmt: skip
    sampler = Sampler(proc.pid)
    sampler.start()
    audit = AuditLog(audit_log_path(kubectl.kubeconfig))
    user = f"system:serviceaccount:{SYSTEM_NS}:{RELEASE}"
    try:
        time.sleep(8)  # startup: imports, discovery, initial lists
        manifest = workdir / f"fsvc-{n}.yaml"
        manifest.write_text(yaml.safe_dump_all([
            {"apiVersion": "flaskops.io/v1alpha1", "kind": "FlaskService",
             "metadata": {"name": f"svc-{i}", "namespace": ns}, "spec": spec(i)} for i in range(n)
        ]))  # fmt: skip
        mark, cpu0 = audit.mark(), sampler.cpu_s()
        started = time.monotonic()
        kubectl.run("apply", "--server-side", "-f", str(manifest), timeout=1800)
        done = all_ready(kubectl, "flaskservices", ns, n, fsvc_ready, 1800)
        creating = audit.events(mark)
        cpu_create = sampler.cpu_s() - cpu0
        time.sleep(10)  # the last status echoes settle
        rest_mark = audit.mark()
        time.sleep(rest_s)
        at_rest = audit.events(rest_mark, user=user)
        quiet_latencies = readiness_at_rest(kubectl, audit, ns, user, n)
    finally:
        sampler.stopped.set()
        proc.terminate()
        proc.wait(timeout=30)
    mine = [e for e in creating if e["user"]["username"] == user]
    latencies = readiness_latencies(creating, ns, user)
    return {
        "ready_s": done - started,
        "peak_rss_mib": sampler.peak_kib / 1024,
        "cpu_s": cpu_create,
        "requests_creating": len(mine),
        "requests_rest": len(at_rest),
        "rest_s": rest_s,
        "latency_p50": statistics.median(latencies) if latencies else None,
        "latency_max": max(latencies) if latencies else None,
        "rest_latency_p50": statistics.median(quiet_latencies) if quiet_latencies else None,
        "rest_latency_max": max(quiet_latencies) if quiet_latencies else None,
        "rest_latency_count": len(quiet_latencies),
    }


def render_table(rows: list[dict[str, Any]], note: str) -> str:
    lines = [
        BEGIN,
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.machine()}, Linux {platform.release()}). {note}",
        "",
        "| N | baseline ready (s) | operator ready (s) | ratio | peak RSS (MiB) | CPU incl. helm (s) "
        "| API requests creating | API requests at rest (/s) | readiness reported p50 / max (s): "
        "while creating | one change at rest |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lat = _p50_max(r["latency_p50"], r["latency_max"])
        rest = _p50_max(r["rest_latency_p50"], r["rest_latency_max"])
        rest += f" ({r['rest_latency_count']} services)"
        lines.append(
            f"| {r['n']} | {r['baseline_s']:.0f} | {r['ready_s']:.0f} | {r['ready_s'] / r['baseline_s']:.2f} "
            f"| {r['peak_rss_mib']:.0f} | {r['cpu_s']:.0f} | {r['requests_creating']} "
            f"| {r['requests_rest']} in {r['rest_s']:.0f} s ({r['requests_rest'] / r['rest_s']:.2f}) | {lat} | {rest} |"
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def _p50_max(p50: float | None, top: float | None) -> str:
    return f"{p50:.2f} / {top:.2f}" if p50 is not None and top is not None else "n/a"


def write(path: Path, block: str) -> None:
    text = path.read_text()
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Operator at scale (`make bench-operator`)\n\n" + block
    path.write_text(text)


def delete_namespace(kubectl: Kubectl, ns: str) -> None:
    kubectl.run("delete", "namespace", ns, "--timeout=600s", check=False, timeout=700)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="100,300,1000")
    p.add_argument("--rest-seconds", type=float, default=60.0)
    p.add_argument("--note", default="")
    p.add_argument("--output", type=Path, default=REPO / "docs/benchmarks.md")
    p.add_argument("--keep-cluster", action="store_true")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kubeconfig = cluster(nodes=max(sizes) // 100 + 3)
    kubectl, helm = Kubectl(require("kubectl"), kubeconfig), Helm(require("helm"), kubeconfig)
    try:
        kubectl.run("apply", "--server-side", "-f",
                    str(REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"))  # fmt: skip
        kubectl.wait_established("flaskservices.flaskops.io")
        kubectl.run("create", "namespace", SYSTEM_NS, check=False)
        helm.run("upgrade", "--install", RELEASE, str(OPERATOR_CHART), "-n", SYSTEM_NS,
                 "--set", "crds.install=false", "--set", "metrics.serviceMonitor.enabled=false")  # fmt: skip
        rows = []
        with tempfile.TemporaryDirectory(prefix="bench-operator-") as tmp:
            work = Path(tmp)
            op_kubeconfig = serviceaccount_kubeconfig(
                kubectl, SYSTEM_NS, RELEASE, work / "sa.kubeconfig"
            )
            for n in sizes:
                base = baseline(kubectl, require("helm"), n, work)
                # Before the operator's run: the baseline's pods would otherwise keep the
                # fake nodes' pod capacity (110 each), and at N = 1000 571 of the operator's
                # pods stayed Pending.
                delete_namespace(kubectl, f"bench-base-{n}")
                row = operator_run(kubectl, op_kubeconfig, n, work, args.rest_seconds)
                row.update(n=n, baseline_s=base)
                print(json.dumps(row), flush=True)
                rows.append(row)
                delete_namespace(kubectl, f"bench-op-{n}")
        block = render_table(rows, args.note)
        print(block)
        write(args.output, block)
    finally:
        if not args.keep_cluster:
            subprocess.run(
                ["bash", str(REPO / "hack/cluster.sh"), "down", CLUSTER], capture_output=True
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
