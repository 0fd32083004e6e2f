"""The gunicorn settings every reference service inherits from flaskops_flask.gunicorn_conf."""

from __future__ import annotations

import gc
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
from flaskops_flask.gunicorn import post_worker_init

SERVICES = Path(__file__).resolve().parents[2] / "examples" / "services"


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("service", ["catalog", "orders"])
def test_services_get_the_shared_hooks(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gunicorn finds server hooks by name in the config module: the star import must
    bring them into each service's gunicorn.conf.py."""
    # Loading the config prepares this directory (and exports it) as a gunicorn master would.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(SERVICES / service / "gunicorn.conf.py"))
    assert conf["post_worker_init"] is post_worker_init
    assert callable(conf["child_exit"])
    assert conf["wsgi_app"] == f"{service}.app:create_app()"


def test_worker_init_freezes_what_the_app_loaded(unfrozen: None) -> None:
    loaded = [object() for _ in range(1000)]
    post_worker_init(worker=None)
    # Everything alive at that point (this module, `loaded`, the imported libraries) is
    # out of the collector's generations.
    assert gc.get_freeze_count() > len(loaded)


def test_gc_freeze_can_be_turned_off(unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_GC_FREEZE", "0")
    post_worker_init(worker=None)
    assert gc.get_freeze_count() == 0
