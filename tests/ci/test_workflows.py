"""ci/ and .github/: the reusable workflows and GitLab components are valid, the callable
copies are identical to the templates, and a broken caller is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.ci.test_oci_charts import published_charts
from tests.ci.workflow_checks import (
    actionlint,
    check_jsonschema,
    include_errors,
    local_caller_repo,
    split_component,
    undefined_inputs,
)
from tests.support.tools import REPO

TEMPLATES = sorted((REPO / "ci/github").glob("flaskops-*.yml"))
GITHUB_FILES = [
    *TEMPLATES,
    *sorted((REPO / "ci/github/examples").glob("*.yml")),
    *sorted((REPO / ".github/workflows").glob("*.yml")),
]
COMPONENTS = sorted((REPO / "ci/gitlab/templates").glob("*.yml"))
GITLAB_CALLER = REPO / "ci/gitlab/examples/.gitlab-ci.yml"
EXAMPLE_CALLER = REPO / "ci/github/examples/service-pipeline.yml"


def test_callable_copies_are_identical_to_the_templates() -> None:
    copies = sorted((REPO / ".github/workflows").glob("flaskops-*.yml"))
    assert [c.name for c in copies] == [t.name for t in TEMPLATES]
    for t in TEMPLATES:
        assert (REPO / ".github/workflows" / t.name).read_bytes() == t.read_bytes(), (
            f"{t.name} differs: cp ci/github/{t.name} .github/workflows/"
        )


def test_flaskops_ci_is_built_from_its_own_templates() -> None:
    """Dogfooding: every job of .github/workflows/ci.yml calls a callable copy, the test job
    runs .ci/run (`make test`), the chart job covers every chart `make charts-push` publishes."""
    jobs = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())["jobs"]
    assert {job["uses"] for job in jobs.values()} <= {
        f"./.github/workflows/{t.name}" for t in TEMPLATES
    }
    command = jobs["test"]["with"]["command"]
    assert command.endswith(" bash .ci/run"), command
    # sudo replaces PATH with the runner's secure_path even under --preserve-env=PATH.
    assert 'env "PATH=$PATH" bash .ci/run' in command, command
    charts = jobs["charts"]["strategy"]["matrix"]["chart"]
    assert [Path(c).name for c in charts] == published_charts()


def test_every_workflow_passes_actionlint_and_the_workflow_schema() -> None:
    assert len(TEMPLATES) == 4
    proc = actionlint(*GITHUB_FILES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_jsonschema("vendor.github-workflows", *GITHUB_FILES)


def test_example_caller_matches_the_reusable_workflows(tmp_path: Path) -> None:
    caller = local_caller_repo(tmp_path, EXAMPLE_CALLER.read_text())
    assert "uses: ./.github/workflows/flaskops-release.yml" in caller.read_text()
    proc = actionlint(caller, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("      installer: uv", "      installer: uv\n      bogus-input: 1"),
         'input "bogus-input" is not defined in "./.github/workflows/flaskops-test.yml"'),
        (("      mode: gitops\n", ""), 'input "mode" is required'),
    ],
)  # fmt: skip
def test_broken_caller_is_rejected(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    text = EXAMPLE_CALLER.read_text()
    assert edit[0] in text
    caller = local_caller_repo(tmp_path, text.replace(edit[0], edit[1], 1))
    proc = actionlint(caller, cwd=tmp_path)
    assert proc.returncode == 1
    assert message in proc.stdout, proc.stdout


def test_gitlab_components_pass_the_gitlab_schema(tmp_path: Path) -> None:
    assert [c.name for c in COMPONENTS] == [
        "chart.yml",
        "image.yml",
        "python-test.yml",
        "release.yml",
    ]
    jobs = []
    for c in COMPONENTS:
        header, body = split_component(c, tmp_path / c.name)
        assert header["spec"]["inputs"], c
        header_file = tmp_path / f"spec-{c.name}"
        header_file.write_text(c.read_text().split("\n---\n", 1)[0])
        jobs += [body, header_file]
        assert undefined_inputs(c) == [], c
    check_jsonschema("vendor.gitlab-ci", *jobs, GITLAB_CALLER, transform="gitlab-ci")
    assert include_errors(GITLAB_CALLER, {c.name: c for c in COMPONENTS}) == []


def test_broken_gitlab_component_and_caller_are_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "python-test.yml"
    broken.write_text(
        (REPO / "ci/gitlab/templates/python-test.yml")
        .read_text()
        .replace("inputs.requirements ]]", "inputs.requirement ]]")
    )
    assert undefined_inputs(broken) == ["requirement"]
    caller = tmp_path / ".gitlab-ci.yml"
    caller.write_text(
        GITLAB_CALLER.read_text()
        .replace("      installer: uv", "      installer: uv\n      bogus-input: 1")
        .replace("      mode: gitops\n", "")
    )
    assert include_errors(caller, {c.name: c for c in COMPONENTS}) == [
        "python-test.yml: input 'bogus-input' is not declared",
        "release.yml: required input 'mode' is missing",
    ]
