"""The article "Dockerfile Best Practices": the commands that need no container engine run
as written and print what it shows; the Dockerfile and .dockerignore it shows are the files;
the Dockerfile passes hadolint and the structure the article promises; the steps marked as
needing a container engine are exactly the docker ones."""

from __future__ import annotations

import fnmatch
import re

import pytest

from tests.articles.runner import (
    ARTICLES,
    article_steps,
    assert_shown,
    run_script,
    run_steps,
    word_count,
)
from tests.services.test_packaging import stages

FOLDER = ARTICLES / "dockerfile-best-practices"
ARTICLE = FOLDER / "README.md"
DOCKERFILE = FOLDER / "Dockerfile"
# Sizes that move with Debian point releases and with the repository's dev dependencies.
VOLATILE = (r"\d+(?= MiB in \.venv)", r"(?<=packages, )\d+(?= MiB installed)")


def test_commands_run_and_print_what_the_article_shows() -> None:
    steps = [s for s in article_steps(ARTICLE) if not s.needs]
    run = run_steps(steps, timeout=300)
    for step, out in zip(steps, run.outputs, strict=True):
        if step.shown is not None:
            assert_shown(step.shown, out, volatile=VOLATILE, where=f" (line {step.line})")
    toolchain = int(re.search(r"9 packages, (\d+) MiB installed", run.raw)[1])  # type: ignore[index]
    dev_venv = int(re.search(r"(\d+) MiB in \.venv", run.raw)[1])  # type: ignore[index]
    image_venv = int(re.search(r"(\d+) MiB in the virtualenv", run.raw)[1])  # type: ignore[index]
    assert toolchain > 100
    assert dev_venv > 10 * image_venv


def test_steps_marked_as_needing_an_engine_are_the_docker_ones() -> None:
    marked = [s for s in article_steps(ARTICLE) if s.needs]
    assert len(marked) == 3
    for step in marked:
        assert "container engine" in (step.needs or "")
        assert "docker " in step.command
    for step in article_steps(ARTICLE):
        if not step.needs:
            assert "docker " not in step.command, step.line


def test_files_shown_are_the_files() -> None:
    text = ARTICLE.read_text()
    shown = re.search(r"in full:\n\n```dockerfile\n(.*?)```", text, re.S)
    assert shown is not None
    assert shown[1] == DOCKERFILE.read_text()
    ignore = (FOLDER / "Dockerfile.dockerignore").read_text()
    patterns = "\n".join(ln for ln in ignore.splitlines() if not ln.startswith("#")) + "\n"
    assert f"```text\n{patterns}```" in text


def test_dockerfile_passes_hadolint_and_the_naive_one_does_not() -> None:
    run_script(f"hadolint --no-color --failure-threshold info {DOCKERFILE}")
    naive = run_script(f"hadolint --no-color {FOLDER / 'Dockerfile.naive'}", check=False)
    assert naive.returncode == 1
    assert {"DL3006", "DL3042", "DL3025"} <= set(re.findall(r"DL\d{4}", naive.stdout))


def test_dockerfile_structure() -> None:
    build, runtime = stages(DOCKERFILE.read_text())
    assert build[0].endswith(" AS build")
    assert runtime[0].endswith(" AS runtime")
    assert build[0].split()[1] == runtime[0].split()[1], "same base: the venv's python path"
    deps = next(i for i, ln in enumerate(build) if "--require-hashes" in ln)
    first_code = next(i for i, ln in enumerate(build) if ln.startswith("COPY telemetry/"))
    assert deps < first_code, "dependencies are installed before the code is copied"
    users = [ln for ln in runtime if ln.startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert runtime[-1].startswith('CMD ["gunicorn"')
    copies = [ln for ln in runtime if ln.startswith("COPY ")]
    assert copies == [
        "COPY --from=build /opt/venv /opt/venv",
        "COPY examples/services/${SERVICE}/ /app/",
    ]
    assert any("PIP_NO_CACHE_DIR=1" in ln for ln in build)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified to this file: the last matching pattern wins; a pattern
    matches a path or any directory above it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pat in patterns:
        negated = pat.startswith("!")
        pat = pat.removeprefix("!").rstrip("/")
        if any(fnmatch.fnmatch(p, pat) for p in prefixes):
            result = not negated
    return result


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("telemetry/flaskops_flask/__init__.py", False),
        ("examples/services/common/service_kit/auth.py", False),
        ("operator/flaskops/reconcile.py", True),
        ("pyproject.toml", True),
        ("examples/services/catalog/catalog/app.py", False),
        ("examples/services/catalog/gunicorn.conf.py", False),
        ("examples/articles/dockerfile-best-practices/requirements.txt", False),
        (".venv/bin/python", True),
        (".git/config", True),
        (".env", True),
        ("examples/services/catalog/catalog/__pycache__/app.cpython-311.pyc", True),
        ("tests/conftest.py", True),
    ],
)
def test_dockerignore_sends_only_what_the_dockerfile_copies(path: str, ignored: bool) -> None:
    lines = (FOLDER / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    assert _ignored(path, patterns) is ignored


def test_article_length_is_within_the_plan() -> None:
    assert 1100 <= word_count(ARTICLE) <= 4000
