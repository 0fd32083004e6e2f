"""What does flaskops_flask.instrument() cost? Bare vs instrumented, same gunicorn settings.

    uv run --frozen python hack/bench_instrumentation.py [--rounds 16] [--duration 3]

Two endpoints, each in five variants of the same code and gunicorn settings:
  bare          FLASKOPS_METRICS/TRACING/JSON_LOGS=0 (app log lines still written: gunicorn config)
  instrumented  instrument(app) as shipped: metrics, traces, JSON logs
  fallback      instrument(app) as shipped, on the path its guard takes when the installed
                OpenTelemetry is not the tested one (flaskops_flask.guard): FlaskInstrumentor,
                RequestsInstrumentor and the upstream OTLP exporter, with metrics and logs
  traces        instrument(app) with tracing only (FLASKOPS_METRICS/JSON_LOGS=0)
  usual         the usual tracing wiring the issue compares against, tracing only as well:
                FlaskInstrumentor and plain RequestsInstrumentor, the upstream OTLP encoder
                and the SDK's default 512-span batches
Endpoints:
  trivial    catalog GET /              100% sampling (parentbased_always_on)
  realistic  orders GET /orders/<id>    -> catalog GET /items/<id>, the chart's default
                                        sampling (parentbased_traceidratio 0.1)
Three kinds of run:
  saturation   wrk, 8 connections (closed loop), one variant at a time: requests/s,
               p50/p99, server CPU per request
  shared core  every variant saturated at once by its own wrk, all services on one core:
               req/s in the inverse ratio of CPU cost, paired at every instant
  fixed rate   (realistic endpoint) vegeta at half the bare variant's saturated throughput
               (open loop, the same offered load for every variant): p50/p99 latency
               without the queueing that any throughput loss causes at saturation
Each round starts fresh processes for every variant (measure_endpoint says why), warms
them up and runs each kind of run once per variant, in an order that rotates from round
to round: this host's speed drifts by tens of percent over minutes, and short
interleaved rounds spread that drift evenly over the variants. Spans are exported over
OTLP/HTTP to a real OpenTelemetry Collector. The services are pinned to CPU 0, the load
tools and the collector to CPU 1. Results go to docs/benchmarks.md, replacing only this
benchmark's own section.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hack.bench_report import (  # noqa: E402
    EndpointResult,
    Latency,
    Sample,
    render,
    write_section,
)
from tests.support.otel import OtelCollector  # noqa: E402
from tests.support.services import RunningService, start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

VARIANTS = {
    "bare": {"FLASKOPS_METRICS": "0", "FLASKOPS_TRACING": "0", "FLASKOPS_JSON_LOGS": "0"},
    "instrumented": {},
    # The same code path the guard's fallback takes (tracing.setup_tracing, fast=False).
    "fallback": {"FLASKOPS_TRACING_MIDDLEWARE": "opentelemetry"},
    "traces": {"FLASKOPS_METRICS": "0", "FLASKOPS_JSON_LOGS": "0"},
    "usual": {
        "FLASKOPS_METRICS": "0",
        "FLASKOPS_JSON_LOGS": "0",
        "FLASKOPS_TRACING_MIDDLEWARE": "opentelemetry",
        "FLASKOPS_OTLP_ENCODER": "upstream",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
    },
}
SERVER_CPUS = "0"
CLIENT_CPUS = "1"


def cpu_seconds(service: RunningService) -> float:
    """CPU time of a gunicorn master and its workers, from /proc."""
    pid = service.proc.pid
    pids = [str(pid), *Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    ticks = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise ValueError(value)
    return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]


def _rps(wrk_output: str) -> float:
    return float(re.search(r"Requests/sec:\s+([\d.]+)", wrk_output)[1])  # type: ignore[index]


def run_wrk(
    wrk: str,
    url: str,
    duration: int,
    connections: int,
    servers: list[RunningService] | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
) -> Sample:
    before = sum(cpu_seconds(s) for s in servers or [])
    out = subprocess.run(
        [
            "taskset",
            "-c",
            CLIENT_CPUS,
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *extra_args,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = sum(cpu_seconds(s) for s in servers or []) - before
    requests_done = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    # wrk pads latencies of a second or more with a trailing space ("1.32s ").
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Sample(
        rps=_rps(out),
        p50_ms=_ms(lat["50"]),
        p99_ms=_ms(lat["99"]),
        errors=errors + (int(non2xx[1]) if non2xx else 0),
        cpu_us=1e6 * cpu / max(requests_done, 1),
    )


def run_vegeta(vegeta: str, url: str, rate: int, duration: int) -> Latency:
    """A constant `rate` of GETs for `duration` seconds, whatever the answers' latency."""
    attack = subprocess.run(
        [
            "taskset",
            "-c",
            CLIENT_CPUS,
            vegeta,
            "attack",
            f"-rate={rate}/s",
            f"-duration={duration}s",
            "-timeout=10s",
        ],
        input=f"GET {url}\n".encode(),
        capture_output=True,
        check=True,
    ).stdout
    report = json.loads(
        subprocess.run(
            [vegeta, "report", "-type=json"], input=attack, capture_output=True, check=True
        ).stdout
    )
    lat = report["latencies"]
    return Latency(lat["50th"] / 1e6, lat["99th"] / 1e6, report["success"])


def run_wrk_together(
    wrk: str, urls: dict[str, str], duration: int, connections: int
) -> dict[str, float]:
    """Saturate every variant at once, their services sharing one core: requests/s each.

    The kernel's scheduler gives each runnable process an equal share of the core, and
    with the GIL a worker has one runnable thread at a time, so the variants' req/s stand
    in the inverse ratio of their CPU cost per request, measured over the same seconds:
    whatever the host's speed does during the run, it does to every variant at once."""
    procs = {
        v: subprocess.Popen(
            ["taskset", "-c", CLIENT_CPUS, wrk, "-t1", f"-c{connections}", f"-d{duration}s", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for v, url in urls.items()
    }
    rps = {}
    for v, proc in procs.items():
        out = proc.communicate()[0]
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, "wrk", out)
        rps[v] = _rps(out)
    return rps


@contextmanager
def services(
    endpoint: str, variant: str, collector: OtelCollector, workers: int
) -> Iterator[tuple[str, list[RunningService]]]:
    common = {
        "GUNICORN_ACCESS_LOG": "0",
        "LOG_LEVEL": "INFO",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
    }
    common.update(VARIANTS[variant])
    with ExitStack() as stack:
        if endpoint == "trivial":
            env = {**common, "OTEL_TRACES_SAMPLER": "parentbased_always_on"}
            catalog = stack.enter_context(start_service("catalog", env, workers, cpus=SERVER_CPUS))
            yield f"{catalog.url}/", [catalog]
        else:
            env = {
                **common,
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0.1",
            }
            catalog = stack.enter_context(start_service("catalog", env, workers, cpus=SERVER_CPUS))
            orders = stack.enter_context(
                start_service(
                    "orders", {**env, "CATALOG_URL": catalog.url}, workers, cpus=SERVER_CPUS
                )
            )
            yield f"{orders.url}/orders/7", [orders, catalog]


def rotated(names: list[str], round_no: int) -> list[str]:
    """The variants in this round's order: each round starts with the next one, so none is
    always first (or last)."""
    k = round_no % len(names)
    return names[k:] + names[:k]


def measure_endpoint(
    endpoint: str, args: argparse.Namespace, tools: dict[str, str], collector: OtelCollector
) -> EndpointResult:
    """Every round starts fresh processes for every variant (in the round's order), warms
    them up, runs each kind of run once per variant and stops them.

    Why fresh processes: identical copies of bare, started one after the other and measured
    side by side, differed by up to 8% in req/s and CPU per request for as long as they
    lived, the first started being the slowest in most runs. A variant that keeps its
    processes for the whole run keeps that draw too, and it is as large as the effects
    measured here. New processes each round make it part of the round-to-round noise,
    which the medians and intervals account for (as pyperf spreads a benchmark over many
    processes), and rotating the start order keeps any effect of the order off one variant.
    """
    names = [v for v in VARIANTS if v in args.variants.split(",")]
    saturation: dict[str, list[Sample]] = {v: [] for v in names}
    shared: dict[str, list[float]] = {v: [] for v in names}
    latency: dict[str, list[Latency]] = {v: [] for v in names}
    # The fixed-rate run is the one the realistic endpoint's p99 target is judged on;
    # on the trivial endpoint half of bare's throughput would overload the usual wiring.
    fixed = endpoint in args.fixed_rate_endpoints.split(",")
    rate = 0
    for round_no in range(args.rounds):
        order = rotated(names, round_no)
        with ExitStack() as stack:
            running = {
                v: stack.enter_context(services(endpoint, v, collector, args.workers))
                for v in order
            }
            urls = {v: running[v][0] for v in order}
            run_wrk_together(tools["wrk"], urls, 2, args.connections)  # warm-up: imports, pools
            prefix = f"{endpoint:9} round {round_no + 1:2}"
            for v in order:
                sample = run_wrk(
                    tools["wrk"], urls[v], args.duration, args.connections, running[v][1]
                )
                saturation[v].append(sample)
                print(
                    f"{prefix} {v:12} wrk: {sample.rps:7.0f} req/s  p50 {sample.p50_ms:6.2f} ms"
                    f"  p99 {sample.p99_ms:6.2f} ms  cpu {sample.cpu_us:5.0f} us/req"
                    f"  errors {sample.errors}",
                    flush=True,
                )
            rps = run_wrk_together(tools["wrk"], urls, args.duration, args.connections)
            for v in names:
                shared[v].append(rps[v])
            print(
                f"{prefix} shared core: " + "  ".join(f"{v} {rps[v]:5.0f}" for v in names),
                flush=True,
            )
            if not fixed:
                continue
            if not rate:  # a fraction (half by default) of what bare sustained in round 1
                rate = max(10, round(saturation["bare"][0].rps * args.rate_fraction / 10) * 10)
            for v in order:
                lat = run_vegeta(tools["vegeta"], urls[v], rate, args.duration)
                latency[v].append(lat)
                print(
                    f"{prefix} {v:12} {rate}/s: p50 {lat.p50_ms:6.2f} ms"
                    f"  p99 {lat.p99_ms:6.2f} ms  success {lat.success:.3f}",
                    flush=True,
                )
    return EndpointResult(saturation, shared, rate, latency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--duration", type=int, default=3, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate-fraction", type=float, default=0.5)
    parser.add_argument("--endpoints", default="trivial,realistic")
    parser.add_argument("--fixed-rate-endpoints", default="realistic")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="a subset, comma-separated (bare first)"
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    tools = {name: find(name) for name in ("wrk", "vegeta", "otelcol-flaskops")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: wrk from apt-get, the others from make tools")
    # Spans are received, decoded and re-encoded as in a real pipeline, then discarded.
    collector = OtelCollector(
        tools["otelcol-flaskops"],  # type: ignore[arg-type]
        Path(tempfile.mkdtemp(prefix="bench-otelcol-")),
        output=Path("/dev/null"),
    )
    subprocess.run(
        ["taskset", "-a", "-p", "-c", CLIENT_CPUS, str(collector.proc.pid)],
        check=True,
        capture_output=True,
    )
    try:
        results = {
            e: measure_endpoint(e, args, tools, collector)  # type: ignore[arg-type]
            for e in args.endpoints.split(",")
        }
    finally:
        collector.stop()
    section = render(results, args)
    print(section)
    if not args.no_write and set(results) == {"trivial", "realistic"}:
        write_section(args.output, section)


if __name__ == "__main__":
    main()
