"""What `helm install` with no values produces: the secure, observable defaults."""

from __future__ import annotations

import pytest

from tests.charts.chart import FULLNAME, NAMESPACE, Manifest, container, env_map, render


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return render()


def test_default_objects(manifest: Manifest) -> None:
    assert sorted(manifest.summary()) == sorted(
        [f"Pod/{FULLNAME}-test-readyz"]
        + [
            f"{kind}/{FULLNAME}"
            for kind in (
                "ServiceAccount",
                "Service",
                "Deployment",
                "PodDisruptionBudget",
                "NetworkPolicy",
                "ServiceMonitor",
                "PrometheusRule",
            )
        ]
    )
    assert {o["metadata"]["namespace"] for o in manifest.objects} == {NAMESPACE}


def test_pods_carry_the_shared_labels(manifest: Manifest) -> None:
    labels = manifest.get("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "flask-service"
    assert labels["app.kubernetes.io/instance"] == "rel"
    assert labels["flaskops.io/service"] == FULLNAME
    assert labels["flaskops.io/track"] == "stable"


def test_gunicorn_on_port_8000_named_http(manifest: Manifest) -> None:
    c = container(manifest.get("Deployment"))
    assert c["command"] == ["gunicorn"]
    assert "--bind=0.0.0.0:8000" in c["args"]
    assert c["args"][-1] == "app:create_app()"
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert c["image"] == "ghcr.io/flaskops/flask-app:0.1.0"  # the chart's appVersion


def test_probes_default_to_healthz_and_readyz(manifest: Manifest) -> None:
    c = container(manifest.get("Deployment"))
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "startupProbe" not in c


def test_restricted_security_defaults(manifest: Manifest) -> None:
    pod = manifest.get("Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container(manifest.get("Deployment"))["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    mounts = {
        m["mountPath"]: m["name"] for m in container(manifest.get("Deployment"))["volumeMounts"]
    }
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert manifest.get("ServiceAccount")["automountServiceAccountToken"] is False


def test_graceful_shutdown(manifest: Manifest) -> None:
    d = manifest.get("Deployment")
    assert d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    assert container(d)["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert "--graceful-timeout=20" in container(d)["args"]


def test_prometheus_multiprocess_dir_is_a_memory_emptydir(manifest: Manifest) -> None:
    d = manifest.get("Deployment")
    assert env_map(d)["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus-multiproc"
    mounts = {m["mountPath"]: m["name"] for m in container(d)["volumeMounts"]}
    volumes = {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
    assert volumes[mounts["/tmp/prometheus-multiproc"]]["emptyDir"] == {
        "medium": "Memory",
        "sizeLimit": "64Mi",
    }


def test_opentelemetry_environment(manifest: Manifest) -> None:
    d = manifest.get("Deployment")
    env = env_map(d)
    assert env["OTEL_SERVICE_NAME"] == FULLNAME
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://")
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.1"
    assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage"
    assert env["K8S_POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["K8S_NODE_NAME"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    attrs = dict(kv.split("=", 1) for kv in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    assert attrs["k8s.namespace.name"] == "$(K8S_NAMESPACE_NAME)"
    assert attrs["k8s.pod.name"] == "$(K8S_POD_NAME)"
    assert attrs["k8s.node.name"] == "$(K8S_NODE_NAME)"
    assert attrs["k8s.deployment.name"] == FULLNAME
    assert attrs["service.version"] == "0.1.0"
    # last, so every $(VAR) it references is defined before it
    assert container(d)["env"][-1]["name"] == "OTEL_RESOURCE_ATTRIBUTES"


def test_service_targets_http(manifest: Manifest) -> None:
    svc = manifest.get("Service")
    assert svc["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    # Only a replicas-mode canary spans both tracks; without one, pods of a track being
    # removed (a rolled-back canary, a torn-down preview) must stop getting traffic at once.
    assert svc["spec"]["selector"]["flaskops.io/track"] == "stable"


def test_service_monitor_attaches_service_and_track(manifest: Manifest) -> None:
    endpoint = manifest.get("ServiceMonitor")["spec"]["endpoints"][0]
    assert endpoint["port"] == "http"
    assert endpoint["path"] == "/metrics"
    relabel = {r["targetLabel"]: r["sourceLabels"] for r in endpoint["relabelings"]}
    assert relabel["service"] == ["__meta_kubernetes_pod_label_flaskops_io_service"]
    assert relabel["track"] == ["__meta_kubernetes_pod_label_flaskops_io_track"]


def test_pdb_and_network_policy(manifest: Manifest) -> None:
    pdb = manifest.get("PodDisruptionBudget")["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"]["matchLabels"]["flaskops.io/track"] == "stable"
    np = manifest.get("NetworkPolicy")["spec"]
    assert np["policyTypes"] == ["Ingress"]
    peers = np["ingress"][0]["from"]
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "rel"}}} in peers
    monitoring = np["ingress"][1]
    assert monitoring["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]
    assert monitoring["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_test_hook_checks_readyz(manifest: Manifest) -> None:
    pod = manifest.get("Pod", f"{FULLNAME}-test-readyz")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["containers"][0]["args"] == [f"http://{FULLNAME}:80/readyz"]
    # no Service may pick the test pod as an endpoint
    assert "app.kubernetes.io/name" not in pod["metadata"]["labels"]
