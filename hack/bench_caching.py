"""make bench-caching: catalog's item read with and without the Redis cache and HTTP
revalidation, under wrk, on real gunicorn, SQLite and Redis; writes its section of
docs/benchmarks.md (between the bench-caching markers) with the machine and the date.

Variants of `GET /items/3` (each its own catalog, 2 workers, pinned to CPU 0; wrk on CPU 1):
  sqlite            no cache; the store is a local SQLite file (a read costs ~0.1 ms)
  db-50ms            no cache; CATALOG_STORE_DELAY_MS=50 stands for a remote database's round trip
  db-50ms+redis      the same store behind the Redis cache (every read after the first is a hit)
  db-50ms+redis+304  the same, the client revalidating with If-None-Match (304, no body)
  sqlite+redis      the fast store behind Redis: what a cache costs when the store is fast
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hack.bench_instrumentation import run_wrk  # noqa: E402
from hack.bench_report import Sample, machine, write_section  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402
from tests.support.services import start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

BEGIN = "<!-- bench-caching:begin -->"
END = "<!-- bench-caching:end -->"
HEADING = "## Catalog read caching (`make bench-caching`)"
VARIANTS: dict[str, tuple[dict[str, str], bool]] = {  # env, revalidate with If-None-Match
    "sqlite": ({}, False),
    "db-50ms": ({"CATALOG_STORE_DELAY_MS": "50"}, False),
    "db-50ms+redis": ({"CATALOG_STORE_DELAY_MS": "50", "cache": "1"}, False),
    "db-50ms+redis+304": ({"CATALOG_STORE_DELAY_MS": "50", "cache": "1"}, True),
    "sqlite+redis": ({"cache": "1"}, False),
}


def store_reads(url: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=5).text
    return sum(
        float(v)
        for v in re.findall(r'^catalog_store_reads_total\{operation="get"\} (\S+)$', text, re.M)
    )


def measure(
    name: str, redis: RedisServer, wrk: str, duration: int, workdir: Path
) -> tuple[Sample, float]:
    env, revalidate = VARIANTS[name]
    env = {k: v for k, v in env.items() if k != "cache"}
    env["CATALOG_DB"] = str(workdir / f"{name}.db")
    env["GUNICORN_ACCESS_LOG"] = "0"
    if VARIANTS[name][0].get("cache"):
        redis.flush()
        env["CATALOG_CACHE_URL"] = redis.url
    # A shared, busy machine can take longer than the tests' 30 s to boot the workers.
    with start_service("catalog", env, workers=2, cpus="0", wait_for=None) as svc:
        svc.wait_ready("/readyz", timeout=180)
        url = f"{svc.url}/items/3"
        etag = requests.get(url, timeout=5).headers["ETag"]
        headers = ["-H", f"If-None-Match: {etag}"] if revalidate else []
        sample = run_wrk(wrk, url, duration, 8, [svc], extra_args=headers)
        reads = store_reads(svc.url)
    total = sample.rps * duration
    return sample, reads / max(total, 1)


def render(
    results: dict[str, list[tuple[Sample, float]]], duration: int, rounds: int, load: float
) -> str:
    med = statistics.median
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()} (1-minute load average {load:.1f} at the",
        f"start: on a shared host, other jobs' load bounds every variant); {rounds} rounds of {duration} s per",
        "variant (variants interleaved), wrk 1 thread 8 connections on CPU 1, catalog (gunicorn,",
        "2 workers x 4 threads, metrics + JSON logs on, access log off) on CPU 0, Redis and",
        "SQLite on the same host. Medians over the rounds.",
        "",
        "| variant | requests/s | p50 ms | p99 ms | store reads per request |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        rps = med(s.rps for s, _ in runs)
        p50 = med(s.p50_ms for s, _ in runs)
        p99 = med(s.p99_ms for s, _ in runs)
        reads = med(r for _, r in runs)
        lines.append(f"| {name} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {reads:.4f} |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="catalog read caching under wrk")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    wrk, redis_bin = find("wrk"), find("redis-server")
    if not wrk or not redis_bin:
        sys.exit("needs wrk and redis-server: apt-get install wrk redis-server (done by .ci/run)")
    load = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="bench-caching-"))
    redis = RedisServer(redis_bin, workdir)
    results: dict[str, list[tuple[Sample, float]]] = {name: [] for name in VARIANTS}
    try:
        for round_no in range(args.rounds):
            names = list(VARIANTS)
            names = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in names:
                results[name].append(measure(name, redis, wrk, args.duration, workdir))
                s = results[name][-1][0]
                print(
                    f"round {round_no + 1} {name}: {s.rps:.0f} req/s p99 {s.p99_ms:.2f} ms",
                    flush=True,
                )
    finally:
        redis.stop()
    block = render(results, args.duration, args.rounds, load)
    print(block)
    intro = __doc__.split(chr(10), 4)[4].strip()  # the variants, from this module's docstring
    write_section(args.output, block, BEGIN, END, f"{HEADING}\n\n{intro}")


if __name__ == "__main__":
    main()
