"""The committed dashboard JSON is what the Python sources build (`make dashboards`)."""

from __future__ import annotations

import json

from dashboards import build
from tests.dashboards.model import load, panels


def test_committed_json_matches_the_sources() -> None:
    assert build.stale() == [], "dashboards drifted from their sources: run `make dashboards`"


def test_check_mode_reports_a_drifted_file(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(build, "HERE", tmp_path / "dashboards")
    monkeypatch.setattr(build, "CHART_FILES", tmp_path / "chart")
    for name in build.SOURCES:
        for path in build.outputs(name):
            path.parent.mkdir(exist_ok=True)
            path.write_text(build.render(build.SOURCES[name]))
    assert build.main(["--check"]) == 0
    edited = json.loads((tmp_path / "chart/canary.json").read_text())
    edited["title"] = "edited by hand"
    (tmp_path / "chart/canary.json").write_text(json.dumps(edited))
    assert build.main(["--check"]) == 1
    assert capsys.readouterr().err == "chart/canary.json is stale: run `make dashboards`\n"


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
