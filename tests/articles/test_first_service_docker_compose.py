"""The how-to "First Flask Microservice With Docker Compose": the compose file is valid
against the Compose Specification (and the check is real: a broken file is refused), and
the five processes it would run are run here as plain processes with the same settings,
printing what the article shows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from tests.articles.runner import (
    ARTICLES,
    article_steps,
    assert_shown,
    run_script,
    run_steps,
    word_count,
)
from tests.support.tools import require, tools_bindir

FOLDER = ARTICLES / "first-service-docker-compose"
ARTICLE = FOLDER / "README.md"
COMPOSE = yaml.safe_load((FOLDER / "compose.yaml").read_text())
# compose's service names -> the processes' addresses (step 4 of the article)
HOSTS = {
    "http://catalog:8000": "http://127.0.0.1:8001",
    "http://jaeger:4318": "http://127.0.0.1:8018",
    "redis://redis:6379": "redis://127.0.0.1:8079",
}


def test_commands_run_and_print_what_the_article_shows() -> None:
    jaeger = require("jaeger")
    require("prometheus")
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    path = f"{Path(jaeger).parent}:{tools_bindir()}:{os.environ['PATH']}"
    run = run_steps(steps, env={"PATH": path}, timeout=300)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, where=f" (line {step.line})")


def test_the_processes_use_the_compose_settings() -> None:
    processes = "\n".join(s.command for s in article_steps(ARTICLE) if not s.needs)
    for name in ("catalog", "orders"):
        for key, value in COMPOSE["services"][name]["environment"].items():
            for host, local in HOSTS.items():
                value = value.replace(host, local)
            assert re.search(rf"\b{key}={re.escape(value)}\b", processes), (name, key, value)
    assert COMPOSE["services"]["redis"]["command"] == [
        "redis-server", "--save", "", "--appendonly", "no"
    ]  # fmt: skip
    assert "redis-server --port 8079 --save '' --appendonly no" in processes


def test_compose_schema_check_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = yaml.safe_load((FOLDER / "compose.yaml").read_text())
    broken["services"]["orders"]["depends_on"]["catalog"] = {"conditon": "service_healthy"}
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    proc = run_script(f"check-jsonschema --builtin-schema vendor.compose-spec {path}", check=False)
    assert proc.returncode == 1
    assert "conditon" in proc.stdout


def test_only_compose_itself_needs_an_engine() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert len(marked) == 1
    assert "docker compose up" in marked[0].command


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
