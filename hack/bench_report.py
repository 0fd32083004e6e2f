"""The report of make bench-instrumentation: tables, the issue's targets, docs/benchmarks.md.

Measuring is hack/bench_instrumentation.py's job; this module only turns its samples into
the Markdown section between the markers, comparing each variant with bare round by round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
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
    shared: dict[str, list[float]]  # req/s per round with every variant on one core at once
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


Rounds = Sequence[int]  # indices of the rounds a statistic is computed over


def _loss(samples: dict[str, list[Sample]], variant: str, rounds: Rounds | None = None) -> float:
    """Requests/s lost against bare, in percent (positive = slower): the median over rounds
    of each round's ratio. A round's runs are seconds apart, so they share the host's
    speed of the moment; the ratio of the medians would mix slow and fast minutes."""
    idx = range(len(samples["bare"])) if rounds is None else rounds
    ratios = [samples[variant][i].rps / samples["bare"][i].rps for i in idx]
    return (1 - med(ratios)) * 100


def _p99_delta(
    samples: Mapping[str, Sequence[Sample | Latency]], variant: str, rounds: Rounds | None = None
) -> float:
    """p99 minus bare's, the median of the per-round differences (paired, as in _loss)."""
    idx = range(len(samples["bare"])) if rounds is None else rounds
    return float(med(samples[variant][i].p99_ms - samples["bare"][i].p99_ms for i in idx))


def _shared_loss(
    shared: dict[str, list[float]], variant: str, rounds: Rounds | None = None
) -> float:
    """As _loss, for the shared-core run, where a round's variants ran at the same time."""
    idx = range(len(shared["bare"])) if rounds is None else rounds
    return (1 - med(shared[variant][i] / shared["bare"][i] for i in idx)) * 100


def interval(n: int, stat: Callable[[Rounds], float], resamples: int = 1000) -> tuple[float, float]:
    """A 90% interval for `stat` by the percentile bootstrap over rounds: the rounds are
    resampled with replacement (a round keeps all its variants together, so pairing
    survives) and `stat` recomputed. Seeded, so a report is reproducible from its data."""
    rng = random.Random(5)
    values = sorted(stat([rng.randrange(n) for _ in range(n)]) for _ in range(resamples))
    return values[int(0.05 * resamples)], values[int(0.95 * resamples) - 1]


def verdict(low: float, high: float, limit: float) -> str:
    """For a statistic that must be at most `limit`, judged on its 90% interval."""
    if high <= limit:
        return "met"
    if low > limit:
        return "**not met**"
    return "**not shown**"


def both(verdicts: list[str]) -> str:
    """A target measured two ways is met (or not) only if both ways say so."""
    return verdicts[0] if len(set(verdicts)) == 1 else "**not shown**"


Stat = Callable[[Rounds | None], float]


def _judged(stat: Stat, n: int, limit: float, fmt: str) -> tuple[str, str]:
    low, high = interval(n, stat)
    return f"{fmt.format(stat(None))} [{fmt.format(low)}, {fmt.format(high)}]", verdict(
        low, high, limit
    )


def _judged_twice(
    one_at_a_time: Stat, shared: Stat, n: int, limit: float, fmt: str
) -> tuple[str, str]:
    """A req/s target, measured one variant at a time and on the shared core."""
    one, v1 = _judged(one_at_a_time, n, limit, fmt)
    two, v2 = _judged(shared, n, limit, fmt)
    return f"{one} one at a time, {two} shared", both([v1, v2])


def targets(results: dict[str, EndpointResult]) -> list[str]:
    """Issue 5's four targets: the estimates, their 90% intervals and the verdicts. The
    req/s targets are measured twice (one variant at a time, and all at once on a shared
    core) and are met only if both measurements say so."""
    trivial, realistic = results["trivial"], results["realistic"]
    tn, rn = len(trivial.saturation["bare"]), len(realistic.saturation["bare"])
    sat, shared = trivial.saturation, trivial.shared

    # Like with like: the usual wiring is tracing alone, so it is compared with
    # instrument()'s tracing alone (the full instrumented variant adds metrics and logs).
    def loss_share(r: Rounds | None) -> float:
        return _loss(sat, "traces", r) / _loss(sat, "usual", r)

    def shared_share(r: Rounds | None) -> float:
        return _shared_loss(shared, "traces", r) / _shared_loss(shared, "usual", r)

    def p99_share(r: Rounds | None) -> float:
        return _p99_delta(sat, "traces", r) / _p99_delta(sat, "usual", r)

    rows = []
    both_ways, verdict_1 = _judged_twice(loss_share, shared_share, tn, 0.5, "{:.2f}")
    rows.append(
        (
            "trivial, 100% sampling: tracing's req/s loss at most half the usual wiring's",
            f"{-_loss(sat, 'traces'):+.1f}% against {-_loss(sat, 'usual'):+.1f}% one at a time, "
            f"{-_shared_loss(shared, 'traces'):+.1f}% against "
            f"{-_shared_loss(shared, 'usual'):+.1f}% on a shared core (with metrics and logs "
            f"too: {-_loss(sat, 'instrumented'):+.1f}%, "
            f"{-_shared_loss(shared, 'instrumented'):+.1f}%)",
            f"share of the usual loss: {both_ways}",
            verdict_1,
        )
    )
    est, v = _judged(p99_share, tn, 0.5, "{:.2f}")
    rows.append(
        (
            "trivial, 100% sampling: tracing's p99 increase at most half the usual wiring's "
            "(saturation)",
            f"{_p99_delta(sat, 'traces'):+.2f} ms against {_p99_delta(sat, 'usual'):+.2f} ms",
            f"share of the usual increase: {est}",
            v,
        )
    )
    both_ways, verdict_3 = _judged_twice(
        partial(_loss, realistic.saturation, "instrumented"),
        partial(_shared_loss, realistic.shared, "instrumented"),
        rn,
        10.0,
        "{:.1f}",
    )
    rows.append(
        (
            "realistic, 10% sampling: at most 10% fewer req/s than bare",
            "instrumented against bare",
            f"loss, %: {both_ways}",
            verdict_3,
        )
    )
    est, v = _judged(partial(_p99_delta, realistic.latency, "instrumented"), rn, 1.0, "{:+.2f}")
    rows.append(
        (
            f"realistic, 10% sampling: at most +1 ms p99 (fixed rate, {realistic.rate} req/s)",
            f"at saturation: {_p99_delta(realistic.saturation, 'instrumented'):+.2f} ms",
            f"p99 difference, ms: {est}",
            v,
        )
    )
    return [
        "| target | this run | estimate [90% interval] | verdict |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
    ]


def render(results: dict[str, EndpointResult], args: argparse.Namespace) -> str:
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}. gunicorn: {args.workers} "
        "worker(s) per service, gthread, 4 threads, access log off in every variant. "
        f"{args.rounds} rounds of {args.duration} s per variant and kind of run, each round on "
        "freshly started processes, the variants in rotating order. Saturation: wrk, 1 "
        f"thread, {args.connections} connections (after a 2 s warm-up of every variant at "
        f"once). Fixed rate (realistic endpoint): vegeta at {args.rate_fraction:.0%} of the "
        "bare variant's saturated req/s in the first round. Services pinned to "
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
        "Shared core (every variant saturated at once by its own wrk, all services on CPU 0; "
        "the req/s of a variant is its share of the core, so only the ratios mean anything):",
        "",
        "| endpoint | variant | req/s | req/s vs bare [90% interval] |",
        "|---|---|---:|---:|",
    ]
    for endpoint, res in results.items():
        n = len(res.shared["bare"])
        for variant, rps_runs in res.shared.items():
            vs = ""
            if variant != "bare":
                low, high = interval(n, partial(_shared_loss, res.shared, variant))
                vs = f"{-_shared_loss(res.shared, variant):+.1f}% [{-high:+.1f}%, {-low:+.1f}%]"
            lines.append(f"| {NAMES[endpoint]} | {variant} | {med(rps_runs):,.0f} | {vs} |")
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
    judged = {"bare", "instrumented", "traces", "usual"}
    if set(results) == {"trivial", "realistic"} and all(
        judged <= set(r.saturation) for r in results.values()
    ):
        lines += ["", "Against the targets of issue 5:", "", *targets(results)]
    lines += [
        "",
        "Every round (saturation: req/s / p99 ms / CPU us per request; shared core: req/s; "
        "fixed rate: p99 ms):",
        "",
    ]
    for endpoint, res in results.items():
        for variant, samples in res.saturation.items():
            runs = "; ".join(f"{s.rps:,.0f} / {s.p99_ms:.1f} / {s.cpu_us:.0f}" for s in samples)
            lines.append(f"- {endpoint} {variant}, saturation: {runs}")
        for variant, rps_runs in res.shared.items():
            lines.append(
                f"- {endpoint} {variant}, shared core: " + "; ".join(f"{x:,.0f}" for x in rps_runs)
            )
        for variant, lats in res.latency.items():
            if not lats:
                continue
            runs = "; ".join(f"{x.p99_ms:.1f}" for x in lats)
            lines.append(f"- {endpoint} {variant}, {res.rate} req/s: {runs}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(
    path: Path,
    results_block: str,
    begin: str = BEGIN,
    end: str = END,
    heading: str = "## Instrumentation overhead (`make bench-instrumentation`)",
) -> None:
    """Replace the results between the markers; a file without them gets the whole section
    (`heading` and the block, which holds the markers). Other benchmarks pass their own."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + results_block.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{results_block}"
    path.write_text(text)
