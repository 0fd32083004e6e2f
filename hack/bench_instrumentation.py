"""What does flaskops.flask.instrument() cost? Bare vs instrumented, same gunicorn settings.

    uv run --frozen python hack/bench_instrumentation.py [--rounds 3] [--duration 10]

Two endpoints, each measured in three variants, alternating over several rounds with wrk over
loopback:
  bare          FLASKOPS_METRICS/TRACING/JSON_LOGS=0 (the same app, same gunicorn settings)
  instrumented  instrument(app) as shipped
  usual         the common wiring, for comparison: FlaskInstrumentor, the upstream OTLP
                encoder and the SDK's default 512-span batches (plus the same metrics/logs)
Endpoints:
  trivial    catalog GET /              100% sampling (parentbased_always_on)
  realistic  orders GET /orders/<id>    -> catalog GET /items/<id>, the chart's default
                                        sampling (parentbased_traceidratio 0.1)
Spans are exported over OTLP/HTTP to a real OpenTelemetry Collector. The services are
pinned to CPU 0 and wrk + the collector to CPU 1, so the load generator does not steal
the server's CPU (on a 2-core machine). Results go to docs/benchmarks.md, replacing only
this benchmark's own section.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    "usual": {
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


def measure(
    args: argparse.Namespace, wrk: str, collector: OtelCollector
) -> dict[tuple[str, str], list[Sample]]:
    results: dict[tuple[str, str], list[Sample]] = {}
    names = list(VARIANTS)
    for endpoint in ("trivial", "realistic"):
        for round_no in range(args.rounds):
            # Rotate the order each round, so no variant always runs first (or last).
            for variant in names[round_no % 3 :] + names[: round_no % 3]:
                with services(endpoint, variant, collector, args.workers) as (url, servers):
                    run_wrk(wrk, url, 2, args.connections)  # warm-up: imports, pools, caches
                    sample = run_wrk(wrk, url, args.duration, args.connections, servers)
                results.setdefault((endpoint, variant), []).append(sample)
                print(
                    f"{endpoint:9} {variant:12} round {round_no + 1}: {sample.rps:8.0f} req/s"
                    f"  p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:6.2f} ms"
                    f"  cpu {sample.cpu_us:6.0f} us/req  errors {sample.errors}",
                    flush=True,
                )
    return results


def machine() -> str:
    cpu = "unknown cpu"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def render(results: dict[tuple[str, str], list[Sample]], args: argparse.Namespace) -> str:
    med = statistics.median
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}. "
        f"gunicorn: {args.workers} worker(s) per service, gthread, 4 threads, access log off "
        f"in every variant; wrk: 1 thread, {args.connections} connections, {args.duration} s "
        f"per run after a 2 s warm-up; {args.rounds} rounds, variants in rotating order; "
        "services pinned to CPU 0, wrk and the collector to CPU 1. Medians over the rounds; "
        "CPU is the services' user+system time per request, read from /proc.",
        "",
        "| endpoint | sampling | variant | req/s | p50 ms | p99 ms | CPU us/req "
        "| req/s vs bare | p99 vs bare |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    sampling = {"trivial": "100%", "realistic": "10% (parentbased_traceidratio 0.1)"}
    names = {"trivial": "catalog `GET /`", "realistic": "orders `GET /orders/<id>` -> catalog"}
    for endpoint in ("trivial", "realistic"):
        bare = results[(endpoint, "bare")]
        b_rps, b_p99 = med(s.rps for s in bare), med(s.p99_ms for s in bare)
        for variant in VARIANTS:
            samples = results[(endpoint, variant)]
            rps, p99 = med(s.rps for s in samples), med(s.p99_ms for s in samples)
            vs = "" if variant == "bare" else f"{(rps / b_rps - 1) * 100:+.1f}%"
            dp = "" if variant == "bare" else f"{p99 - b_p99:+.2f} ms"
            lines.append(
                f"| {names[endpoint]} | {sampling[endpoint]} | {variant} | {rps:,.0f} | "
                f"{med(s.p50_ms for s in samples):.2f} | {p99:.2f} | "
                f"{med(s.cpu_us for s in samples):.0f} | {vs} | {dp} |"
            )
    lines += ["", "Every round (req/s / p99 ms / CPU us per request):", ""]
    for (endpoint, variant), samples in results.items():
        runs = "; ".join(f"{s.rps:,.0f} / {s.p99_ms:.1f} / {s.cpu_us:.0f}" for s in samples)
        lines.append(f"- {endpoint} {variant}: {runs}")
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    wrk, collector_bin = find("wrk"), find("otelcol-flaskops")
    if wrk is None or collector_bin is None:
        sys.exit("needs wrk (apt-get install wrk) and otelcol-flaskops (make tools)")
    # Spans are received, decoded and re-encoded as in a real pipeline, then discarded.
    collector = OtelCollector(
        collector_bin, Path(tempfile.mkdtemp(prefix="bench-otelcol-")), output=Path("/dev/null")
    )
    subprocess.run(
        ["taskset", "-a", "-p", "-c", CLIENT_CPUS, str(collector.proc.pid)],
        check=True,
        capture_output=True,
    )
    try:
        results = measure(args, wrk, collector)
    finally:
        collector.stop()
    section = render(results, args)
    print(section)
    if not args.no_write:
        write_section(args.output, section)


if __name__ == "__main__":
    main()
