"""Checkov finds no failed check in the rendered manifests; every skip carries its reason."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts.chart import CHARTS, helm_template, render
from tests.charts.scenarios import SCENARIOS
from tests.support.tools import REPO

CONFIG = CHARTS / ".checkov.yaml"


def checkov(directory: Path) -> dict[str, Any]:
    env = os.environ | {"BC_SKIP_MAPPING": "TRUE"}  # no download of the Prisma Cloud mappings
    proc = subprocess.run(
        [
            "uv",
            "run",
            "--frozen",
            "checkov",
            "-d",
            str(directory),
            "--config-file",
            str(CONFIG),
            "-o",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.stdout.strip().startswith("{"), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["check_type"] == "kubernetes"
    return dict(report)


def failures(report: dict[str, Any]) -> list[str]:
    return [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]


@pytest.mark.xdist_group("checkov")
def test_rendered_manifests_pass_checkov(tmp_path: Path) -> None:
    for name, values in SCENARIOS.items():
        proc = helm_template(values)
        assert proc.returncode == 0, proc.stderr
        (tmp_path / f"{name}.yaml").write_text(proc.stdout)
    report = checkov(tmp_path)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] >= 60
    assert failures(report) == []


@pytest.mark.xdist_group("checkov")
def test_checkov_does_fail_an_insecure_pod(tmp_path: Path) -> None:
    """Guards the guard: with the restricted defaults switched off, Checkov objects."""
    insecure = render(
        {
            "restrictedPodSecurity": False,
            "securityContext": {"allowPrivilegeEscalation": True, "privileged": True},
        }
    )
    (tmp_path / "insecure.yaml").write_text(yaml.safe_dump(insecure.get("Deployment")))
    found = {f.split()[0] for f in failures(checkov(tmp_path))}
    assert {"CKV_K8S_16", "CKV_K8S_20"} <= found  # privileged, allowPrivilegeEscalation


def test_every_skip_has_a_reason() -> None:
    lines = CONFIG.read_text().splitlines()
    skips = [i for i, line in enumerate(lines) if re.match(r"\s*- CKV", line)]
    assert skips == [i for i in skips if lines[i - 1].lstrip().startswith("#")]
    assert yaml.safe_load(CONFIG.read_text())["skip-check"] == [
        lines[i].split("-", 1)[1].strip() for i in skips
    ]
    annotations = render().get("Pod", "rel-flask-service-test-readyz")["metadata"]["annotations"]
    inline = {k: v for k, v in annotations.items() if k.startswith("checkov.io/skip")}
    assert inline
    for value in inline.values():
        check, reason = value.split("=", 1)
        assert re.fullmatch(r"CKV2?_K8S_\d+", check)
        assert len(reason) > 10
