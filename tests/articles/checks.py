"""What every article test of the security/observability group checks, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.articles.runner import article_steps, assert_shown, run_steps, word_count

DEFAULT_VOLATILE = ("timestamp", "clock", "pid")


def assert_length_in_plan(article: Path) -> None:
    assert 1100 <= word_count(article) <= 4000, f"{article}: {word_count(article)} words"


def assert_runs_as_shown(
    article: Path,
    *,
    env: Mapping[str, str] | None = None,
    volatile: Iterable[str] = (),
    timeout: float = 600,
) -> None:
    """Every step runs (none is marked as not runnable here) and prints what is shown."""
    steps = article_steps(article)
    assert not [s for s in steps if s.needs], "every step of this article runs here"
    run = run_steps(steps, env=env, timeout=timeout)
    names = (*DEFAULT_VOLATILE, *volatile)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(
                step.shown, out, volatile=names, where=f" ({article.name} line {step.line})"
            )
