"""The operator's one Kubernetes client: dynamic, dict in and dict out.

Objects of every kind the chart renders are handled alike, so the typed per-kind clients
would add nothing but conversions.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubernetes import config, dynamic
from kubernetes.client import ApiClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

# A CRD installed later (Gateway API, prometheus-operator) is noticed within this time.
SERVED_TTL_S = 300.0


def api_client() -> ApiClient:
    """In-cluster credentials when running in a pod, else the current kubeconfig."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return ApiClient()


class Kube:
    def __init__(self, api: ApiClient) -> None:
        self.api = api
        # The client caches discovery in a file named after the server URL in the shared temp
        # dir; another cluster that once had that URL would leave kinds this one lacks.
        cache = Path(tempfile.mkdtemp(prefix="flaskops-discovery-")) / "discovery.json"
        self.client = dynamic.DynamicClient(api, cache_file=str(cache))  # type: ignore[no-untyped-call]
        self._served: dict[tuple[str, str], tuple[bool, float]] = {}
        # Reconciles run in several threads, and the client's discovery cache is not
        # thread-safe: a lookup that misses re-runs discovery, which resets the cache that
        # a concurrent lookup is filling (KeyError: 'resources', seen at 300 FlaskServices).
        self._discovery = threading.RLock()

    def _resource(self, api_version: str, kind: str) -> Any:
        with self._discovery:
            return self.client.resources.get(api_version=api_version, kind=kind)

    def served(self, api_version: str, kind: str, fresh: bool = False) -> bool:
        """Remembered for SERVED_TTL_S (unless `fresh`): the client re-runs the whole
        discovery (/version, /apis and every group) on each lookup of a kind that is not
        served, which made pruning cost dozens of requests per reconcile."""
        key = (api_version, kind)
        with self._discovery:  # one thread rediscovers; the others then read its answer
            now = time.monotonic()
            cached = self._served.get(key)
            if not fresh and cached is not None and now - cached[1] < SERVED_TTL_S:
                return cached[0]
            try:
                self._resource(api_version, kind)
                served = True
            except ResourceNotFoundError:
                served = False
            self._served[key] = (served, now)
            return served

    def group_versions(self) -> list[str]:
        groups = self.client.request("GET", "/apis").to_dict()
        out = ["v1"]
        for group in groups.get("groups", []):
            out.extend(v["groupVersion"] for v in group.get("versions", []))
        return out

    def get(self, api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        try:
            obj = self._resource(api_version, kind).get(name=name, namespace=namespace)
        except NotFoundError:
            return None
        return dict(obj.to_dict())

    def list(
        self, api_version: str, kind: str, namespace: str | None, selector: str = ""
    ) -> list[dict[str, Any]]:
        """Objects of a kind; none when the API has gone away since discovery."""
        try:
            items = self._resource(api_version, kind).get(
                namespace=namespace, label_selector=selector
            )
        except NotFoundError:
            with self._discovery:
                self.client.resources.invalidate_cache()
            return []
        return [dict(i.to_dict()) for i in items.items]

    def apply(self, body: Mapping[str, Any], field_manager: str) -> dict[str, Any]:
        obj = self._resource(body["apiVersion"], body["kind"]).server_side_apply(
            body=dict(body),
            name=body["metadata"]["name"],
            namespace=body["metadata"].get("namespace"),
            field_manager=field_manager,
            force_conflicts=True,
        )
        return dict(obj.to_dict())

    def delete(self, api_version: str, kind: str, name: str, namespace: str) -> bool:
        try:
            self._resource(api_version, kind).delete(name=name, namespace=namespace)
        except NotFoundError:
            return False
        return True

    def patch_status(
        self, api_version: str, kind: str, name: str, namespace: str, status: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The object as the API server stored it."""
        obj = self._resource(api_version, kind).status.patch(
            body={"status": dict(status)},
            name=name,
            namespace=namespace,
            content_type="application/merge-patch+json",
        )
        return dict(obj.to_dict())

    def patch(
        self, api_version: str, kind: str, name: str, namespace: str, body: Mapping[str, Any]
    ) -> None:
        self._resource(api_version, kind).patch(
            body=dict(body),
            name=name,
            namespace=namespace,
            content_type="application/merge-patch+json",
        )
