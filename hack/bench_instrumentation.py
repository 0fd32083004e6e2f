"""What does flaskops.flask.instrument() cost? Bare vs instrumented, same gunicorn settings.

    uv run --frozen python hack/bench_instrumentation.py [--rounds 10] [--duration 5]

Two endpoints, each in four variants of the same code and gunicorn settings:
  bare          FLASKOPS_METRICS/TRACING/JSON_LOGS=0
  instrumented  instrument(app) as shipped: metrics, traces, JSON logs
  traces        instrument(app) with tracing only (FLASKOPS_METRICS/JSON_LOGS=0)
  usual         the usual tracing wiring the issue compares against, tracing only as well:
                FlaskInstrumentor and plain RequestsInstrumentor, the upstream OTLP encoder
                and the SDK's default 512-span batches
Endpoints:
  trivial    catalog GET /              100% sampling (parentbased_always_on)
  realistic  orders GET /orders/<id>    -> catalog GET /items/<id>, the chart's default
                                        sampling (parentbased_traceidratio 0.1)
Two kinds of run per variant:
  saturation  wrk, 8 connections (closed loop): requests/s, p50/p99, server CPU per request
  fixed rate  (realistic endpoint) vegeta at half the bare variant's saturated throughput
              (open loop, the same offered load for every variant): p50/p99 latency
              without the queueing that any throughput loss causes at saturation
All variants of an endpoint run side by side (idle ones cost nothing) and the runs
alternate between them in short rounds, in rotating order: this host's speed drifts by
tens of percent over minutes, and short interleaved rounds spread that drift evenly over
the variants. Spans are exported over OTLP/HTTP to a real OpenTelemetry Collector. The
services are pinned to CPU 0, the load tools and the collector to CPU 1. Results go to
docs/benchmarks.md, replacing only this benchmark's own section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.otel import OtelCollector  # noqa: E402
from tests.support.services import RunningService, start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

BEGIN = "<!-- bench-instrumentation:begin -->"
END = "<!-- bench-instrumentation:end -->"
VARIANTS = {
    "bare": {"FLASKOPS_METRICS": "0", "FLASKOPS_TRACING": "0", "FLASKOPS_JSON_LOGS": "0"},
    "instrumented": {},
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


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # server CPU (all services, user+system) per request


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


def run_wrk(
    wrk: str, url: str, duration: int, connections: int, servers: list[RunningService] | None = None
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
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = sum(cpu_seconds(s) for s in servers or []) - before
    requests_done = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Sample(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        p50_ms=_ms(lat["50"]),
        p99_ms=_ms(lat["99"]),
        errors=errors + (int(non2xx[1]) if non2xx else 0),
        cpu_us=1e6 * cpu / max(requests_done, 1),
    )


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    success: float  # fraction of 2xx answers


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
    """Each round starts with the next variant, so none is always first (or last)."""
    k = round_no % len(names)
    return names[k:] + names[:k]


@dataclass
class EndpointResult:
    saturation: dict[str, list[Sample]]
    rate: int
    latency: dict[str, list[Latency]]


def measure_endpoint(
    endpoint: str, args: argparse.Namespace, tools: dict[str, str], collector: OtelCollector
) -> EndpointResult:
    names = list(VARIANTS)
    with ExitStack() as stack:
        running = {
            v: stack.enter_context(services(endpoint, v, collector, args.workers)) for v in names
        }
        for url, _ in running.values():
            run_wrk(tools["wrk"], url, 2, args.connections)  # warm-up: imports, pools, caches
        saturation: dict[str, list[Sample]] = {v: [] for v in names}
        for round_no in range(args.rounds):
            for v in rotated(names, round_no):
                url, servers = running[v]
                sample = run_wrk(tools["wrk"], url, args.duration, args.connections, servers)
                saturation[v].append(sample)
                print(
                    f"{endpoint:9} {v:12} wrk    round {round_no + 1:2}: {sample.rps:7.0f} req/s"
                    f"  p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:6.2f} ms"
                    f"  cpu {sample.cpu_us:5.0f} us/req  errors {sample.errors}",
                    flush=True,
                )
        bare_rps = statistics.median(s.rps for s in saturation["bare"])
        rate = max(10, round(bare_rps * args.rate_fraction / 10) * 10)
        latency: dict[str, list[Latency]] = {v: [] for v in names}
        # The fixed-rate run is the one the realistic endpoint's p99 target is judged on;
        # on the trivial endpoint half of bare's throughput would overload the usual wiring.
        for round_no in range(args.rounds if endpoint in args.fixed_rate_endpoints else 0):
            for v in rotated(names, round_no):
                lat = run_vegeta(tools["vegeta"], running[v][0], rate, args.duration)
                latency[v].append(lat)
                print(
                    f"{endpoint:9} {v:12} {rate:4}/s round {round_no + 1:2}: p50 {lat.p50_ms:6.2f} ms"
                    f"  p99 {lat.p99_ms:6.2f} ms  success {lat.success:.3f}",
                    flush=True,
                )
    return EndpointResult(saturation, rate, latency)


def machine() -> str:
    cpu = "unknown cpu"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


SAMPLING = {"trivial": "100%", "realistic": "10% (parentbased_traceidratio 0.1)"}
NAMES = {"trivial": "catalog `GET /`", "realistic": "orders `GET /orders/<id>` -> catalog"}
med = statistics.median


def _loss(samples: dict[str, list[Sample]], variant: str) -> float:
    """Requests/s lost against bare, in percent (positive = slower): the median over rounds
    of each round's ratio. A round's runs are seconds apart, so they share the host's
    speed of the moment; the ratio of the medians would mix slow and fast minutes."""
    ratios = [v.rps / b.rps for v, b in zip(samples[variant], samples["bare"], strict=True)]
    return (1 - med(ratios)) * 100


def _p99_delta(samples: dict[str, list[Sample]] | dict[str, list[Latency]], variant: str) -> float:
    """p99 minus bare's, the median of the per-round differences (paired, as in _loss)."""
    pairs = zip(samples[variant], samples["bare"], strict=True)
    return float(med(v.p99_ms - b.p99_ms for v, b in pairs))


def targets(results: dict[str, EndpointResult]) -> list[str]:
    """Issue 5's four targets, judged on this run's medians."""
    trivial, realistic = results["trivial"], results["realistic"]
    # Like with like: the usual wiring is tracing alone, so it is compared with
    # instrument()'s tracing alone (the full instrumented variant adds metrics and logs).
    t_loss, u_loss = _loss(trivial.saturation, "traces"), _loss(trivial.saturation, "usual")
    i_loss = _loss(trivial.saturation, "instrumented")
    t_p99 = _p99_delta(trivial.saturation, "traces")
    u_p99 = _p99_delta(trivial.saturation, "usual")
    r_loss = _loss(realistic.saturation, "instrumented")
    r_p99 = _p99_delta(realistic.latency, "instrumented")
    r_sat_p99 = _p99_delta(realistic.saturation, "instrumented")

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return [
        "| target | this run | verdict |",
        "|---|---|---|",
        f"| trivial, 100% sampling: tracing's req/s loss at most half the usual wiring's "
        f"| -{t_loss:.1f}% against -{u_loss:.1f}% ({u_loss / max(t_loss, 0.1):.1f}x better; "
        f"with metrics and logs too: -{i_loss:.1f}%) | {verdict(t_loss <= u_loss / 2)} |",
        f"| trivial, 100% sampling: tracing's p99 increase at most half the usual wiring's "
        f"(saturation) "
        f"| {t_p99:+.2f} ms against {u_p99:+.2f} ms | {verdict(t_p99 <= u_p99 / 2)} |",
        f"| realistic, 10% sampling: at most 10% fewer req/s than bare "
        f"| -{r_loss:.1f}% | {verdict(r_loss <= 10)} |",
        f"| realistic, 10% sampling: at most +1 ms p99 (fixed rate, {realistic.rate} req/s) "
        f"| {r_p99:+.2f} ms (at saturation: {r_sat_p99:+.2f} ms) | {verdict(r_p99 <= 1)} |",
    ]


def render(results: dict[str, EndpointResult], args: argparse.Namespace) -> str:
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}. gunicorn: {args.workers} "
        "worker(s) per service, gthread, 4 threads, access log off in every variant. "
        f"{args.rounds} rounds of {args.duration} s per variant and kind of run, the variants "
        f"interleaved in rotating order. Saturation: wrk, 1 thread, {args.connections} "
        "connections (after a 2 s warm-up). Fixed rate (realistic endpoint): vegeta at "
        f"{args.rate_fraction:.0%} of the bare variant's saturated req/s. Services pinned to "
        "CPU 0, load tools and the collector to CPU 1. Medians over the rounds; CPU is the "
        "services' user+system time per request, read from /proc. The columns against bare are "
        "medians of each round's paired comparison (the runs of a round are seconds apart).",
        "",
        "Saturation (wrk, closed loop):",
        "",
        "| endpoint | sampling | variant | req/s | p50 ms | p99 ms | CPU us/req "
        "| req/s vs bare | p99 vs bare |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint, res in results.items():
        for variant, samples in res.saturation.items():
            rps = med(s.rps for s in samples)
            vs = "" if variant == "bare" else f"{-_loss(res.saturation, variant):+.1f}%"
            dp = "" if variant == "bare" else f"{_p99_delta(res.saturation, variant):+.2f} ms"
            lines.append(
                f"| {NAMES[endpoint]} | {SAMPLING[endpoint]} | {variant} | {rps:,.0f} | "
                f"{med(s.p50_ms for s in samples):.2f} | {med(s.p99_ms for s in samples):.2f} | "
                f"{med(s.cpu_us for s in samples):.0f} | {vs} | {dp} |"
            )
    lines += [
        "",
        "Fixed rate (vegeta, open loop, the same offered load for every variant):",
        "",
        "| endpoint | rate | variant | p50 ms | p99 ms | p99 vs bare | 2xx |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for endpoint, res in results.items():
        if not all(res.latency.values()):
            continue
        for variant, lats in res.latency.items():
            dp = "" if variant == "bare" else f"{_p99_delta(res.latency, variant):+.2f} ms"
            lines.append(
                f"| {NAMES[endpoint]} | {res.rate} req/s | {variant} | "
                f"{med(x.p50_ms for x in lats):.2f} | {med(x.p99_ms for x in lats):.2f} | {dp} | "
                f"{min(x.success for x in lats):.1%} |"
            )
    if set(results) == {"trivial", "realistic"}:
        lines += ["", "Against the targets of issue 5:", "", *targets(results)]
    lines += [
        "",
        "Every round (saturation: req/s / p99 ms / CPU us per request; fixed rate: p99 ms):",
        "",
    ]
    for endpoint, res in results.items():
        for variant, samples in res.saturation.items():
            runs = "; ".join(f"{s.rps:,.0f} / {s.p99_ms:.1f} / {s.cpu_us:.0f}" for s in samples)
            lines.append(f"- {endpoint} {variant}, saturation: {runs}")
        for variant, lats in res.latency.items():
            if not lats:
                continue
            runs = "; ".join(f"{x.p99_ms:.1f}" for x in lats)
            lines.append(f"- {endpoint} {variant}, {res.rate} req/s: {runs}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path: Path, results_block: str) -> None:
    """Replace the results between the markers; a file without them gets the whole section."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + results_block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        heading = "## Instrumentation overhead (`make bench-instrumentation`)"
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{results_block}"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate-fraction", type=float, default=0.5)
    parser.add_argument("--endpoints", default="trivial,realistic")
    parser.add_argument("--fixed-rate-endpoints", default="realistic")
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
