"""The report of make bench-instrumentation: tables, the issue's targets, docs/benchmarks.md.

Measuring is hack/bench_instrumentation.py's job; this module only turns its samples into
the Markdown section between the markers, comparing each variant with bare round by round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BEGIN = "<!-- bench-instrumentation:begin -->"
END = "<!-- bench-instrumentation:end -->"


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # server CPU (all services, user+system) per request


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    success: float  # fraction of 2xx answers


@dataclass
class EndpointResult:
    saturation: dict[str, list[Sample]]
    rate: int
    latency: dict[str, list[Latency]]


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


def _p99_delta(samples: Mapping[str, Sequence[Sample | Latency]], variant: str) -> float:
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
