"""The committed FlaskService fixtures (exported from real objects by
tests/operator/cluster/test_gitops_states.py) through Argo CD's health check and kstatus."""

from __future__ import annotations

from typing import Any

import yaml

from tests.gitops import fixtures
from tests.gitops.health import argocd_health, kstatus


def _health_tests() -> list[dict[str, Any]]:
    return list(yaml.safe_load((fixtures.HEALTH_DIR / "health_test.yaml").read_text())["tests"])


def test_health_test_yaml_covers_every_exported_state() -> None:
    paths = sorted(t["inputPath"] for t in _health_tests())
    assert paths == sorted(f"testdata/{n}.yaml" for n in fixtures.EXPECTED)
    assert sorted(p.name for p in fixtures.TESTDATA.iterdir()) == sorted(
        f"{n}.yaml" for n in fixtures.EXPECTED
    )


def test_lua_health_check_gives_argocd_health_test_results() -> None:
    """What Argo CD's own `go test ./util/lua/` does with health_test.yaml, in Lua 5.1."""
    tests = _health_tests()
    objs = {
        t["inputPath"]: yaml.safe_load((fixtures.HEALTH_DIR / t["inputPath"]).read_text())
        for t in tests
    }
    got = argocd_health(objs)
    for t in tests:
        assert got[t["inputPath"]] == t["healthStatus"], t["inputPath"]
    for name, (health, _) in fixtures.EXPECTED.items():
        assert got[f"testdata/{name}.yaml"]["status"] == health, name


def test_lua_messages_carry_what_a_person_needs() -> None:
    got = argocd_health({n: fixtures.load(n) for n in fixtures.EXPECTED})
    assert "weight 20%" in got["canary-progressing"]["message"]
    assert "step " in got["canary-progressing"]["message"]
    assert "weight " in got["paused"]["message"]
    assert got["rolled-back"]["message"].startswith("RolloutFailed: ")
    assert got["render-failed"]["message"].startswith("RenderFailed: ")
    assert "replicaCount: 7 is refused by this chart" in got["render-failed"]["message"]
    assert "observe generation" in got["generation-not-observed"]["message"]
    assert got["deleting"]["message"].startswith("Pending deletion")


def test_kstatus_computes_what_the_docs_say() -> None:
    got = kstatus({n: fixtures.load(n) for n in fixtures.EXPECTED})
    assert got == {n: k for n, (_, k) in fixtures.EXPECTED.items()}
    # The case that matters for Flux: a rolled-back release fails the Kustomization at once
    # (Stalled=True) instead of leaving it InProgress until its timeout.
    assert got["rolled-back"] == "Failed"


def test_argocd_cm_snippet_ships_the_tested_script() -> None:
    cm = yaml.safe_load((fixtures.HEALTH_DIR.parents[2] / "argocd-cm.yaml").read_text())
    key = "resource.customizations.health.flaskops.io_FlaskService"
    assert cm["data"][key] == (fixtures.HEALTH_DIR / "health.lua").read_text()
