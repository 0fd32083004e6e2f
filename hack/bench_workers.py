"""Worker models for a Flask service, measured: sync, gthread, gevent and uvicorn (ASGI) in
front of the same WSGI app, on a CPU-bound and an I/O-bound endpoint.

    uv run --frozen python hack/bench_workers.py [--rounds 2] [--duration 6]

Endpoints (the reference services, examples/services):
  cpu  catalog GET /items/3/digest   pure-Python hashing, ~10k rounds (CATALOG_DIGEST_ROUNDS)
  io   orders GET /orders/7          -> catalog GET /items/<id>, catalog slowed by
                                     FAULT_LATENCY_MS=50 and given 2x16 threads so it is
                                     never the bottleneck
Every model runs 2 worker processes; only the model under test changes (the config each
row used is printed in the table). Load: wrk, 1 thread, 16 connections, closed loop. Each
round starts fresh processes for every model, in an order that rotates from round to
round; the table gives medians over the rounds (written to docs/benchmarks.md and quoted,
the same block, by the article examples/articles/running-flask-in-production). Memory is each worker's PSS (proportional
set size: shared pages split between the processes sharing them) after the load, from
/proc/<pid>/smaps_rollup. Services under test pinned to CPU 0, wrk and the I/O endpoint's
catalog to CPU 1. Results replace only this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hack.bench_instrumentation import run_wrk  # noqa: E402
from hack.bench_report import Sample, machine  # noqa: E402
from tests.support.prometheus import free_port  # noqa: E402
from tests.support.services import RunningService, service_env, start_service  # noqa: E402
from tests.support.tools import find  # noqa: E402

ADAPTER_DIR = REPO / "examples" / "articles" / "running-flask-in-production"
ARTICLE = ADAPTER_DIR / "README.md"  # quotes the same block, between the same markers
BEGIN = "<!-- bench-workers:begin -->"
END = "<!-- bench-workers:end -->"
HEADING = "## Worker models (`make bench-workers`)"
WORKERS = 2
CONNECTIONS = 16
SERVER_CPUS = "0"
CLIENT_CPUS = "1"

# model -> (environment of the service under test, the config as a reader would write it)
MODELS: dict[str, tuple[dict[str, str], str]] = {
    "sync": (
        {"GUNICORN_THREADS": "1", "GUNICORN_CMD_ARGS": "--worker-class sync"},
        "gunicorn -w 2 -k sync",
    ),
    "gthread": (
        {"GUNICORN_THREADS": "4", "GUNICORN_CMD_ARGS": "--worker-class gthread"},
        "gunicorn -w 2 -k gthread --threads 4",
    ),
    "gevent": (
        {
            "GUNICORN_THREADS": "1",
            "GUNICORN_CMD_ARGS": "--worker-class gevent --worker-connections 100",
        },
        "gunicorn -w 2 -k gevent --worker-connections 100",
    ),
    "uvicorn+a2wsgi": (
        {"WSGI_THREADS": "4"},
        "uvicorn --workers 2 --factory asgi_adapter:<service> (a2wsgi, 4 threads)",
    ),
}
ENDPOINTS = {
    "cpu": "catalog `GET /items/3/digest` (CPU-bound)",
    "io": "orders `GET /orders/7` -> catalog +50 ms (I/O-bound)",
}


@dataclass
class Row:
    samples: list[Sample]
    pss_mib: list[float]  # median worker PSS of each round


def start_uvicorn(name: str, env: dict[str, str]) -> RunningService:
    port = free_port()
    full_env = service_env(name, port, WORKERS, env)
    log_path = Path(full_env["PROMETHEUS_MULTIPROC_DIR"] + ".log")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                *["taskset", "-c", SERVER_CPUS],
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"asgi_adapter:{name}",
                "--app-dir",
                str(ADAPTER_DIR),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "20",
                # The supervisor kills a worker that misses a 5 s health ping; a loaded
                # shared host misses it while the worker is still importing the app.
                "--timeout-worker-healthcheck",
                "60",
            ],
            env=full_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = RunningService(name, port, proc, full_env, log_path, WORKERS)
    service.wait_ready(timeout=90)
    return service


def start_model(name: str, model: str, env: dict[str, str]) -> RunningService:
    model_env = {**env, **MODELS[model][0]}
    if model == "uvicorn+a2wsgi":
        return start_uvicorn(name, model_env)
    return start_service(name, model_env, WORKERS, cpus=SERVER_CPUS)


@contextmanager
def under_test(endpoint: str, model: str) -> Iterator[tuple[str, RunningService]]:
    common = {"GUNICORN_ACCESS_LOG": "0", "LOG_LEVEL": "WARNING", "OTEL_TRACES_EXPORTER": "none"}
    with ExitStack() as stack:
        if endpoint == "cpu":
            catalog = stack.enter_context(start_model("catalog", model, common))
            yield f"{catalog.url}/items/3/digest", catalog
            return
        slow = {**common, "FAULT_LATENCY_MS": "50", "GUNICORN_THREADS": "16"}
        catalog = stack.enter_context(start_service("catalog", slow, WORKERS, cpus=CLIENT_CPUS))
        orders = stack.enter_context(
            start_model("orders", model, {**common, "CATALOG_URL": catalog.url})
        )
        yield f"{orders.url}/orders/7", orders


def worker_pss_mib(service: RunningService) -> float:
    """Median PSS of the service's worker processes (children of the master/supervisor)."""
    pid = service.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    values = []
    for child in children:
        if b"resource_tracker" in Path(f"/proc/{child}/cmdline").read_bytes():
            continue  # multiprocessing's helper next to uvicorn's workers, not a worker
        for line in Path(f"/proc/{child}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                values.append(int(line.split()[1]) / 1024)
    if not values:
        raise RuntimeError(f"{service.name}: no worker processes under pid {pid}")
    return statistics.median(values)


def measure(wrk: str, endpoint: str, model: str, duration: int) -> tuple[Sample, float]:
    with under_test(endpoint, model) as (url, service):
        # Warm-up (connections, imports, caches): its numbers are not kept, and under a
        # stalled host it may complete no request, so wrk prints no latencies at all.
        with contextlib.suppress(KeyError):
            run_wrk(wrk, url, 1, CONNECTIONS)
        sample = run_wrk(wrk, url, duration, CONNECTIONS, [service])
        return sample, worker_pss_mib(service)


def render(results: dict[str, dict[str, Row]], args: argparse.Namespace) -> str:
    med = statistics.median
    lines = [
        BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}. {args.rounds} round(s) of "
        f"{args.duration} s per model and endpoint, fresh processes each, models in rotating "
        f"order; wrk, 1 thread, {CONNECTIONS} connections, after a 1 s warm-up. {WORKERS} "
        "worker processes in every row; access log off, traces not exported. Medians over "
        "the rounds. This host's 2 cores were shared with seven other jobs during the run: "
        "read the ratios between rows, not the absolute numbers.",
        "",
        "| endpoint | model | config | req/s | p50 ms | p99 ms | errors | CPU us/req | PSS MiB/worker |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint, rows in results.items():
        for model, row in rows.items():
            s = row.samples
            lines.append(
                f"| {ENDPOINTS[endpoint]} | {model} | `{MODELS[model][1]}` "
                f"| {med(x.rps for x in s):.0f} | {med(x.p50_ms for x in s):.1f} "
                f"| {med(x.p99_ms for x in s):.1f} | {sum(x.errors for x in s)} "
                f"| {med(x.cpu_us for x in s):.0f} | {med(row.pss_mib):.1f} |"
            )
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        intro = (
            "How gunicorn's worker models (and uvicorn in front of the same WSGI app) behave on "
            "the reference services; quoted by the article "
            "[Running Flask in Production](../examples/articles/running-flask-in-production/README.md). "
            "Reproduce with `make bench-workers` (about 2 minutes)."
        )
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{intro}\n\n{block}"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=6, help="seconds of load per run")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    wrk = find("wrk")
    if wrk is None:
        sys.exit("wrk not found: apt-get install wrk (done by .ci/run)")
    models = list(MODELS)
    results = {e: {m: Row([], []) for m in models} for e in ENDPOINTS}
    for round_no in range(args.rounds):
        order = models[round_no % len(models) :] + models[: round_no % len(models)]
        for endpoint in ENDPOINTS:
            for model in order:
                sample, pss = measure(wrk, endpoint, model, args.duration)
                results[endpoint][model].samples.append(sample)
                results[endpoint][model].pss_mib.append(pss)
                print(
                    f"round {round_no + 1} {endpoint:3} {model:15} {sample.rps:7.0f} req/s "
                    f"p99 {sample.p99_ms:7.1f} ms  errors {sample.errors}  PSS {pss:.1f} MiB",
                    flush=True,
                )
    block = render(results, args)
    write_section(args.output, block)
    text = ARTICLE.read_text()
    before, rest = text.split(BEGIN, 1)
    ARTICLE.write_text(before + block.rstrip("\n") + rest.split(END, 1)[1])
    print(f"wrote {args.output} and {ARTICLE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
