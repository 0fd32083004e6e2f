"""The benchmark report's statistics: pairing by round, pooled p99, intervals, verdicts."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

from hack.bench_report import Sample, _loss, _shared_loss, both, interval, verdict


def sample(rps: float) -> Sample:
    return Sample(rps=rps, p50_ms=1.0, p99_ms=2.0, errors=0)


def test_loss_pairs_each_round_with_its_bare_run() -> None:
    # The host halves its speed in the second half; each round's variant is 20% slower.
    bare = [2000.0, 2000.0, 1000.0, 1000.0]
    samples = {"bare": [sample(x) for x in bare], "v": [sample(0.8 * x) for x in bare]}
    assert abs(_loss(samples, "v") - 20.0) < 1e-9
    assert abs(_loss(samples, "v", [2, 3]) - 20.0) < 1e-9


def test_shared_core_loss_is_paired_by_round() -> None:
    shared = {"bare": [600.0, 300.0, 620.0], "v": [450.0, 225.0, 465.0]}
    assert abs(_shared_loss(shared, "v") - 25.0) < 1e-9
    assert abs(_shared_loss(shared, "v", [1, 1]) - 25.0) < 1e-9


def test_interval_brackets_the_estimate_and_shrinks_with_rounds() -> None:
    rng = random.Random(1)

    def width(n: int) -> float:
        values = [10 + rng.gauss(0, 3) for _ in range(n)]

        def median_of(rounds: Sequence[int]) -> float:
            return statistics.median(values[i] for i in rounds)

        low, high = interval(n, median_of)
        assert low <= median_of(range(n)) <= high
        return high - low

    assert width(40) < width(6)


def test_verdict_needs_the_whole_interval_on_one_side() -> None:
    assert verdict(0.3, 0.45, 0.5) == "met"
    assert verdict(0.55, 0.7, 0.5) == "**not met**"
    assert verdict(0.45, 0.55, 0.5) == "**not shown**"


def test_a_target_measured_twice_needs_both_to_agree() -> None:
    assert both(["met", "met"]) == "met"
    assert both(["**not met**", "**not met**"]) == "**not met**"
    assert both(["met", "**not met**"]) == "**not shown**"
