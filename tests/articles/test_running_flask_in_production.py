"""The article "Running Flask in Production": every command runs as written (ports moved)
and prints what the article shows; the claims it makes from those runs hold; its table of
worker models is the one `make bench-workers` wrote into docs/benchmarks.md."""

from __future__ import annotations

import re

from tests.articles.runner import ARTICLES, REPO, article_steps, assert_shown, run_steps, word_count

ARTICLE = ARTICLES / "running-flask-in-production" / "README.md"
# What changes from run to run: process ids, wall times of the concurrency demo.
VOLATILE = ("timestamp", "clock", "pid", r"(?<=\()\d+(?=\))", r"(?<=took )\d+\.\d(?= s)")
BEGIN, END = "<!-- bench-workers:begin -->", "<!-- bench-workers:end -->"


def test_commands_run_and_print_what_the_article_shows() -> None:
    steps = article_steps(ARTICLE)
    run = run_steps(steps, timeout=400)
    shown = 0
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (step at line {step.line})")
            shown += 1
    assert shown >= 9
    # Step 4's claim: one sync worker serialises the 8 calls (8 x 200 ms); gthread and
    # gevent overlap them.
    (demo,) = [out for out in run.outputs if "8 concurrent orders" in out]
    times = dict(
        zip(
            re.findall(r"^Using worker: (\w+)$", demo, re.M),
            map(float, re.findall(r"^8 concurrent orders took ([\d.]+) s$", demo, re.M)),
            strict=True,
        )
    )
    assert set(times) == {"sync", "gthread", "gevent"}
    assert times["sync"] >= 1.6, times
    assert times["gthread"] < times["sync"] * 0.6, times
    assert times["gevent"] < times["sync"] * 0.6, times


def test_the_table_is_the_one_bench_workers_wrote() -> None:
    def block(text: str) -> str:
        assert BEGIN in text, "no bench-workers block: run make bench-workers"
        return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()

    quoted = block(ARTICLE.read_text())
    assert quoted == block((REPO / "docs" / "benchmarks.md").read_text())
    rows = [ln for ln in quoted.splitlines() if ln.startswith("| ") and "`" in ln]
    models = {ln.split(" | ")[1] for ln in rows}
    assert models == {"sync", "gthread", "gevent", "uvicorn+a2wsgi"}
    assert len(rows) == 8
    assert re.search(r"Measured \d{4}-\d\d-\d\d on .+cores", quoted)


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
