"""The committed dashboard JSON is what the Python sources build (`make dashboards`)."""

from __future__ import annotations

import json

from dashboards import build
from tests.dashboards.model import load, panels


def test_committed_json_matches_the_sources() -> None:
    assert build.stale() == [], "dashboards drifted from their sources: run `make dashboards`"


def test_check_mode_reports_a_drifted_file(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    for name in build.SOURCES:
        (tmp_path / name).write_text((build.HERE / name).read_text())
    edited = json.loads((tmp_path / "canary.json").read_text())
    edited["title"] = "edited by hand"
    (tmp_path / "canary.json").write_text(json.dumps(edited))
    monkeypatch.setattr(build, "HERE", tmp_path)
    assert build.main(["--check"]) == 1
    assert "dashboards/canary.json is stale" in capsys.readouterr().err


def test_ids_unique_and_uids_fixed() -> None:
    for name, uid in (
        ("flask-service.json", "flaskops-flask-service"),
        ("canary.json", "flaskops-canary"),
        ("operator.json", "flaskops-operator"),
    ):
        d = load(build.HERE / name)
        assert d["uid"] == uid
        ids = [p["id"] for p in d["panels"]] + [p["id"] for p in panels(d) if p not in d["panels"]]
        assert len(ids) == len(set(ids)), name
        assert all(t["refId"] for p in panels(d) for t in p.get("targets") or []), name
