"""Watch-driven: at rest the operator asks the API server nothing (the apiserver's audit log
says so), a Deployment turning Ready is reported within a second, deleted children return at
once, and deletes never wait for the operator."""

from __future__ import annotations

import time
from typing import Any

from tests.operator.cluster.test_lifecycle import fsvc, ready
from tests.operator.conftest import OperatorFactory
from tests.support.audit import AuditLog, audit_log_path, describe, timestamp
from tests.support.kube import Kubectl

SPEC: dict[str, Any] = {
    "image": {"repository": "registry.example/catalog", "tag": "1.0.0"},
    "replicaCount": 2,
}


def reconciles(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("flaskops_reconcile_duration_seconds_count "):
            return float(line.split()[1])
    raise AssertionError("reconcile metric missing")


def test_at_rest_the_operator_sends_no_request_even_while_resyncing(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str
) -> None:
    # Resync every second: each resync reads the watch caches, never the API server.
    op = operators.start(resync=1.0)
    kubectl.run("create", "configmap", "shared", "-n", namespace, "--from-literal=K=v")
    names = ["a", "b", "c"]
    for name in names:
        spec = {**SPEC, "config": {"existingConfigMap": "shared"}} if name == "a" else SPEC
        kubectl.apply(fsvc(spec, name), "-n", namespace)
    for name in names:
        kubectl.wait_for(f"flaskservice/{name}", ready, "-n", namespace, timeout=90)
    audit = AuditLog(audit_log_path(kubectl.kubeconfig))
    time.sleep(3)  # let the last status writes and their echo reconciles settle
    mark, before = audit.mark(), reconciles(op.metrics())
    time.sleep(12)
    during = reconciles(op.metrics()) - before
    requests = [describe(e) for e in audit.events(mark, user=operators.user)]
    assert during >= 3 * 8, f"only {during} reconciles in 12 s: the resync did not run"
    assert requests == [], f"the operator polled at rest: {requests}"


def test_a_deployment_turning_ready_is_reported_within_a_second(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str
) -> None:
    operators.start(resync=600.0)
    audit = AuditLog(audit_log_path(kubectl.kubeconfig))
    mark = audit.mark()
    kubectl.apply(fsvc(SPEC, "svc"), "-n", namespace)
    kubectl.wait_for("flaskservice/svc", ready, "-n", namespace, timeout=60)
    # Scale up: the Deployment turns not-ready, then Ready again; each time the FlaskService
    # status must follow from the watch (the resync is 10 minutes away).
    kubectl.apply(fsvc({**SPEC, "replicaCount": 4}, "svc"), "-n", namespace)
    kubectl.wait_for(
        "flaskservice/svc",
        lambda o: ready(o) and o["status"].get("ready") == "4/4",
        "-n",
        namespace,
        timeout=60,
    )
    time.sleep(1)
    events = audit.events(mark)
    deploy_status = [
        timestamp(e)
        for e in events
        if e.get("objectRef", {}).get("resource") == "deployments"
        and e["objectRef"].get("subresource") == "status"
        and e["objectRef"].get("name") == "svc"
        and e["objectRef"].get("namespace") == namespace
    ]
    reports = [
        timestamp(e)
        for e in events
        if e["user"]["username"] == operators.user
        and e.get("objectRef", {}).get("resource") == "flaskservices"
        and e["objectRef"].get("subresource") == "status"
        and e["verb"] == "patch"
    ]
    assert deploy_status
    assert reports
    # The last Deployment status change (the one that made it 4/4 Ready) and the operator's
    # last report after it.
    last_change = max(deploy_status)
    report = min(t for t in reports if t >= last_change)
    assert report - last_change < 1.0, f"reported {report - last_change:.2f}s after the change"


def test_a_deleted_child_comes_back_at_once(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str
) -> None:
    operators.start(resync=600.0)
    kubectl.apply(fsvc(SPEC, "svc"), "-n", namespace)
    kubectl.wait_for("flaskservice/svc", ready, "-n", namespace, timeout=60)
    uid = kubectl.json("get", "deployment/svc", "-n", namespace)["metadata"]["uid"]
    kubectl.run("delete", "deployment/svc", "-n", namespace)
    back = kubectl.wait_for(
        "deployment/svc", lambda d: d["metadata"]["uid"] != uid, "-n", namespace, timeout=20
    )
    assert back["metadata"]["labels"]["flaskops.io/flaskservice"] == "svc"


def test_a_referenced_configmap_change_starts_a_new_revision_from_the_watch(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str
) -> None:
    operators.start(resync=600.0)
    kubectl.run("create", "configmap", "shared", "-n", namespace, "--from-literal=K=v1")
    kubectl.apply(fsvc({**SPEC, "config": {"existingConfigMap": "shared"}}, "svc"), "-n", namespace)
    first = kubectl.wait_for("flaskservice/svc", ready, "-n", namespace, timeout=60)
    revision = first["status"]["rollout"]["stable"]["id"]
    kubectl.run("patch", "configmap/shared", "-n", namespace, "-p", '{"data":{"K":"v2"}}')
    kubectl.wait_for(
        "flaskservice/svc",
        lambda o: ready(o) and o["status"]["rollout"]["stable"]["id"] != revision,
        "-n",
        namespace,
        timeout=30,
    )


def test_flaskservice_and_namespace_deleted_while_the_operator_is_down(
    operators: OperatorFactory, kubectl: Kubectl, namespace: str
) -> None:
    op = operators.start()
    # One object still carries the finalizer older operator versions put on everything:
    # the operator takes it off, since nothing of it needs one any more.
    legacy = fsvc(SPEC, "legacy")
    legacy["metadata"]["finalizers"] = ["flaskops.io/finalizer"]
    kubectl.apply([fsvc(SPEC, "a"), legacy], "-n", namespace)
    for name in ("a", "legacy"):
        obj = kubectl.wait_for(
            f"flaskservice/{name}",
            lambda o: ready(o) and not o["metadata"].get("finalizers"),
            "-n",
            namespace,
            timeout=60,
        )
        assert obj["metadata"].get("finalizers") is None
    op.kill()  # a crash: nothing cleaned up on the way out

    started = time.monotonic()
    kubectl.run("delete", "flaskservice/a", "-n", namespace, "--timeout=60s")
    kubectl.wait_for(
        "deployments",
        lambda objs: not [o for o in objs["items"] if o["metadata"]["name"] in ("a", "a-canary")],
        "-n",
        namespace,
        timeout=60,
    )
    kubectl.run("delete", "namespace", namespace, "--timeout=60s")
    gone = kubectl.run("get", "namespace", namespace, check=False)
    assert gone.returncode != 0
    assert "NotFound" in gone.stderr
    assert time.monotonic() - started < 60
