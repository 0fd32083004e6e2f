"""The checks every file under ci/ and .github/ passes: actionlint (which cross-checks a
caller's `with:` against the reusable workflow it calls) and check-jsonschema with the
vendored GitHub and GitLab schemas. GitLab has no offline linter, so a component's
`spec: inputs` header is split off, both documents are schema-checked, and every
`$[[ inputs.x ]]` and every include's `inputs:` is checked against the header here."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import REPO, require

INPUT_REF = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    argv = [require("actionlint"), f"-shellcheck={require('shellcheck')}", "-no-color"]
    return subprocess.run(
        [*argv, *map(str, files)], cwd=cwd, capture_output=True, text=True, check=False
    )


def check_jsonschema(schema: str, *files: Path, transform: str | None = None) -> str:
    """Run check-jsonschema; returns its output, fails the test when it rejects a file."""
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema]
    if transform:
        argv += ["--data-transform", transform]
    proc = subprocess.run([*argv, *map(str, files)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def split_component(path: Path, out: Path) -> tuple[dict[str, Any], Path]:
    """(spec header, file holding only the jobs document) of a GitLab component."""
    docs = list(yaml.safe_load_all(path.read_text()))
    if len(docs) == 1:
        return {}, path
    assert len(docs) == 2, (
        f"{path}: expected `spec:` header, `---`, jobs; got {len(docs)} documents"
    )
    header, jobs = docs
    assert set(header) == {"spec"}, f"{path}: the first document may only hold `spec:`"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(jobs))
    return header, out


def undefined_inputs(path: Path) -> list[str]:
    """`$[[ inputs.x ]]` references in the jobs that the `spec:` header does not declare."""
    docs = list(yaml.safe_load_all(path.read_text()))
    declared = (
        set(((docs[0] or {}).get("spec") or {}).get("inputs") or {}) if len(docs) > 1 else set()
    )
    body = path.read_text().split("\n---\n", 1)[-1]
    return sorted({m for m in INPUT_REF.findall(body) if m not in declared})


def include_errors(caller: Path, templates: dict[str, Path]) -> list[str]:
    """What GitLab would reject in a caller's includes: unknown inputs, missing required ones."""
    errors = []
    for inc in yaml.safe_load(caller.read_text()).get("include") or []:
        name = Path(inc.get("file", "")).name
        if name not in templates:
            continue
        spec = yaml.safe_load_all(templates[name].read_text()).__next__()["spec"]["inputs"]
        given = inc.get("inputs") or {}
        errors += [f"{name}: input {k!r} is not declared" for k in given if k not in spec]
        errors += [
            f"{name}: required input {k!r} is missing"
            for k, v in spec.items()
            if "default" not in (v or {}) and k not in given
        ]
    return errors


def local_caller_repo(tmp: Path, caller_text: str) -> Path:
    """A git repository whose .github/workflows/ holds the reusable workflows and a caller
    rewritten to call them locally, so actionlint resolves and checks every call."""
    wf = tmp / ".github/workflows"
    wf.mkdir(parents=True)
    for f in (REPO / "ci/github").glob("flaskops-*.yml"):
        shutil.copy(f, wf / f.name)
    local = re.sub(
        r"uses: [\w.-]+/[\w.-]+/\.github/workflows/([\w.-]+)@\S+",
        r"uses: ./.github/workflows/\1",
        caller_text,
    )
    (wf / "caller.yml").write_text(local)
    subprocess.run(["git", "init", "-q", str(tmp)], check=True)
    return wf / "caller.yml"
