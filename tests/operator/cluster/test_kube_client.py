"""The operator's Kubernetes client under concurrent reconciles, against the real API server.

Reconciles run in a thread pool. The dynamic client's discovery cache is not thread-safe:
a lookup of a kind that is not served re-runs discovery, which resets the cache another
thread is filling. At 300 FlaskServices created at once that failed reconciles with
KeyError: 'resources' (each then waited 5 s for its retry).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flaskops.kube import Kube
from kubernetes import config


def test_concurrent_discovery_answers_every_lookup(kubeconfig: Path) -> None:
    kube = Kube(config.new_client_from_config(config_file=str(kubeconfig)))  # type: ignore[no-untyped-call]

    def lookups(i: int) -> list[tuple[bool, bool]]:
        # `fresh` makes every call look again: an unserved kind re-runs the whole discovery.
        return [
            (
                kube.served(f"absent{i % 3}.example.com/v1", "Absent", fresh=True),
                kube.served("apps/v1", "Deployment", fresh=True),
            )
            for _ in range(4)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:  # an exception in a thread raises here
        answers = [a for batch in pool.map(lookups, range(16)) for a in batch]
    assert answers == [(False, True)] * 64
    assert kube.served("apps/v1", "Deployment") is True
    assert kube.served("absent0.example.com/v1", "Absent") is False
