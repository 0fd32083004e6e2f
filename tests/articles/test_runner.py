"""The article runner: steps and their shown output are found, ports moved and restored,
volatile parts ignored, and anything else that differs is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.articles.runner import (
    article_steps,
    assert_contains_shown,
    assert_shown,
    move_ports,
    run_steps,
)

ARTICLE = """\
# A title

## Run it

```bash
X=hello
echo "$X from 127.0.0.1:8001"
```

```text
hello from 127.0.0.1:8001
```

Some prose, then a step without output.

```bash
date -u +%FT%TZ >&2
```

<!-- runner: needs a container engine -->
```bash
docker build .
```

## Elsewhere

```bash
echo not in the section
```
"""


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    path.write_text(ARTICLE)
    return path


def test_steps_of_a_section_with_their_output_and_marks(article: Path) -> None:
    steps = article_steps(article, "Run it")
    assert [s.command.splitlines()[0] for s in steps] == [
        "X=hello",
        "date -u +%FT%TZ >&2",
        "docker build .",
    ]
    assert steps[0].shown == "hello from 127.0.0.1:8001\n"
    assert steps[1].shown is None
    assert steps[2].needs == "needs a container engine"
    assert steps[0].line == 5
    assert len(article_steps(article)) == 4


def test_steps_share_one_shell_and_ports_come_back(article: Path) -> None:
    steps = article_steps(article, "Run it")[:2]
    moved, ports = move_ports(steps[0].command)
    assert "8001" not in moved
    assert set(ports) == {"8001"}
    run = run_steps(steps)
    assert_shown(steps[0].shown or "", run.outputs[0])
    assert_shown("<timestamp>", run.outputs[1], volatile=("timestamp",))


def test_marked_steps_are_refused(article: Path) -> None:
    with pytest.raises(AssertionError, match="line 21 \\(needs a container engine\\)"):
        run_steps(article_steps(article, "Run it"))


def test_a_difference_is_reported_with_a_diff() -> None:
    with pytest.raises(AssertionError, match="-hello\n\\+goodbye"):
        assert_shown("hello\n", "goodbye\n")
    assert_shown("pid [12] at 10:00:01", "pid [4711] at 23:59:59  ")


def test_abridged_output_must_appear_in_order() -> None:
    assert_contains_shown("a\nc", "a\nb\nc\n")
    with pytest.raises(AssertionError, match="'a'"):
        assert_contains_shown("c\na", "a\nb\nc\n")


def test_port_flags_move_with_the_addresses_they_serve() -> None:
    moved, ports = move_ports(
        "uvicorn --port 8002 & curl http://127.0.0.1:8002/ :8002x --port 9000"
    )
    assert set(ports) == {"8002"}
    assert moved.count(ports["8002"]) == 2
    assert "--port 9000" in moved
