"""What does flaskops.flask.instrument() cost? Bare vs instrumented, same gunicorn settings.

    uv run --frozen python hack/bench_instrumentation.py [--rounds 3] [--duration 10]

Two endpoints, each measured bare (FLASKOPS_METRICS/TRACING/JSON_LOGS=0) and instrumented,
alternating over several rounds with wrk over loopback:
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
from tests.support.services import start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

BEGIN = "<!-- bench-instrumentation:begin -->"
END = "<!-- bench-instrumentation:end -->"
BARE = {"FLASKOPS_METRICS": "0", "FLASKOPS_TRACING": "0", "FLASKOPS_JSON_LOGS": "0"}
SERVER_CPUS = "0"
CLIENT_CPUS = "1"


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise ValueError(value)
    return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]


def run_wrk(wrk: str, url: str, duration: int, connections: int) -> Sample:
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
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Sample(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        p50_ms=_ms(lat["50"]),
        p99_ms=_ms(lat["99"]),
        errors=errors + (int(non2xx[1]) if non2xx else 0),
    )


@contextmanager
def services(
    endpoint: str, instrumented: bool, collector: OtelCollector, workers: int
) -> Iterator[str]:
    common = {
        "GUNICORN_ACCESS_LOG": "0",
        "LOG_LEVEL": "INFO",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
    }
    if not instrumented:
        common.update(BARE)
    with ExitStack() as stack:
        if endpoint == "trivial":
            env = {**common, "OTEL_TRACES_SAMPLER": "parentbased_always_on"}
            catalog = stack.enter_context(start_service("catalog", env, workers, cpus=SERVER_CPUS))
            yield f"{catalog.url}/"
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
            yield f"{orders.url}/orders/7"


def measure(
    args: argparse.Namespace, wrk: str, collector: OtelCollector
) -> dict[tuple[str, str], list[Sample]]:
    results: dict[tuple[str, str], list[Sample]] = {}
    for endpoint in ("trivial", "realistic"):
        for round_no in range(args.rounds):
            for variant in ("bare", "instrumented"):
                with services(endpoint, variant == "instrumented", collector, args.workers) as url:
                    run_wrk(wrk, url, 2, args.connections)  # warm-up: imports, pools, JIT-free
                    sample = run_wrk(wrk, url, args.duration, args.connections)
                results.setdefault((endpoint, variant), []).append(sample)
                print(
                    f"{endpoint:9} {variant:12} round {round_no + 1}: {sample.rps:8.0f} req/s"
                    f"  p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:6.2f} ms"
                    f"  errors {sample.errors}",
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
        "## Instrumentation overhead (`make bench-instrumentation`)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}. "
        f"gunicorn: {args.workers} worker(s) per service, gthread with the services' default "
        f"threads, access log off in both variants; wrk: 1 thread, {args.connections} "
        f"connections, {args.duration} s per run after a 2 s warm-up, {args.rounds} rounds "
        "alternating bare and instrumented; services pinned to CPU 0, wrk and the collector "
        "to CPU 1. Medians over the rounds.",
        "",
        "| endpoint | sampling | variant | req/s | p50 ms | p99 ms | req/s ratio | p99 delta |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    sampling = {
        "trivial": "100% (parentbased_always_on)",
        "realistic": "10% (parentbased_traceidratio 0.1)",
    }
    for endpoint in ("trivial", "realistic"):
        bare = results[(endpoint, "bare")]
        inst = results[(endpoint, "instrumented")]
        b_rps, i_rps = med(s.rps for s in bare), med(s.rps for s in inst)
        b_p99, i_p99 = med(s.p99_ms for s in bare), med(s.p99_ms for s in inst)
        name = (
            "catalog `GET /`" if endpoint == "trivial" else "orders `GET /orders/<id>` -> catalog"
        )
        for variant, samples in (("bare", bare), ("instrumented", inst)):
            rps, p99 = med(s.rps for s in samples), med(s.p99_ms for s in samples)
            ratio = (
                f"{i_rps / b_rps:.2f} ({(i_rps / b_rps - 1) * 100:+.1f}%)"
                if variant != "bare"
                else ""
            )
            delta = f"{i_p99 - b_p99:+.2f} ms" if variant != "bare" else ""
            lines.append(
                f"| {name} | {sampling[endpoint]} | {variant} | {rps:,.0f} | "
                f"{med(s.p50_ms for s in samples):.2f} | {p99:.2f} | {ratio} | {delta} |"
            )
        del b_p99
    lines += ["", "Every round (req/s, p50 ms, p99 ms):", ""]
    for (endpoint, variant), samples in results.items():
        runs = "; ".join(f"{s.rps:,.0f}, {s.p50_ms:.2f}, {s.p99_ms:.2f}" for s in samples)
        lines.append(f"- {endpoint} {variant}: {runs}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str, notes: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    del notes
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
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
        write_section(args.output, section, args.output)


if __name__ == "__main__":
    main()
