"""One rendering test per documented feature of the chart (the defaults are in test_render_defaults)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts.chart import (
    FULLNAME,
    Manifest,
    container,
    env_map,
    helm_template,
    render,
    render_error,
)

DIGEST = "sha256:" + "ab" * 32


def pod_spec(m: Manifest, name: str = FULLNAME) -> dict[str, Any]:
    return dict(m.get("Deployment", name)["spec"]["template"]["spec"])


def pod_annotations(m: Manifest) -> dict[str, str]:
    return dict(m.get("Deployment")["spec"]["template"]["metadata"].get("annotations", {}))


@pytest.mark.parametrize(
    ("image", "ref", "version"),
    [
        ({"tag": "1.2.3"}, "ghcr.io/flaskops/flask-app:1.2.3", "1.2.3"),
        ({"digest": DIGEST}, f"ghcr.io/flaskops/flask-app@{DIGEST}", "ab" * 6),
        ({"tag": "1.2.3", "digest": DIGEST}, f"ghcr.io/flaskops/flask-app:1.2.3@{DIGEST}", "1.2.3"),
    ],
)
def test_image_by_tag_or_digest(image: dict[str, str], ref: str, version: str) -> None:
    m = render({"image": image})
    assert container(m.get("Deployment"))["image"] == ref
    assert m.get("Deployment")["metadata"]["labels"]["app.kubernetes.io/version"] == version
    assert f"service.version={version}" in env_map(m.get("Deployment"))["OTEL_RESOURCE_ATTRIBUTES"]


def test_command_and_args() -> None:
    c = container(render({"args": ["--config", "gunicorn.conf.py"]}).get("Deployment"))
    assert (c["command"], c["args"]) == (["gunicorn"], ["--config", "gunicorn.conf.py"])
    c = container(render({"command": ["python", "-m", "app"]}).get("Deployment"))
    assert c["command"] == ["python", "-m", "app"]
    assert "args" not in c
    c = container(
        render({"gunicorn": {"app": "", "workers": 5, "extraArgs": ["--keep-alive=5"]}}).get(
            "Deployment"
        )
    )
    assert "--workers=5" in c["args"]
    assert c["args"][-1] == "--keep-alive=5"


def test_user_env_wins_over_generated() -> None:
    env = [
        {"name": "OTEL_TRACES_SAMPLER_ARG", "value": "1.0"},
        {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/mine"},
        {"name": "OTEL_RESOURCE_ATTRIBUTES", "value": "team=shop"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ]
    m = render({"env": env, "envFrom": [{"secretRef": {"name": "extra"}}]})
    got = env_map(m.get("Deployment"))  # also asserts no name appears twice
    assert got["OTEL_TRACES_SAMPLER_ARG"] == "1.0"
    assert got["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/mine"
    assert got["OTEL_RESOURCE_ATTRIBUTES"] == "team=shop"
    assert got["DB_PASSWORD"] == {"secretKeyRef": {"name": "db", "key": "password"}}
    assert container(m.get("Deployment"))["envFrom"] == [{"secretRef": {"name": "extra"}}]


def test_config_and_secret_are_created_loaded_and_checksummed() -> None:
    base = {"config": {"data": {"LOG_LEVEL": "INFO"}}, "secret": {"data": {"API_KEY": "s3cret"}}}
    m = render(base)
    assert m.get("ConfigMap")["data"] == {"LOG_LEVEL": "INFO"}
    assert m.get("Secret")["stringData"] == {"API_KEY": "s3cret"}
    assert container(m.get("Deployment"))["envFrom"] == [
        {"configMapRef": {"name": FULLNAME}},
        {"secretRef": {"name": FULLNAME}},
    ]
    before = pod_annotations(m)
    assert before == pod_annotations(render(base))  # stable when nothing changes
    after_config = pod_annotations(render(base | {"config": {"data": {"LOG_LEVEL": "DEBUG"}}}))
    assert after_config["checksum/config"] != before["checksum/config"]
    assert after_config["checksum/secret"] == before["checksum/secret"]
    after_secret = pod_annotations(render(base | {"secret": {"data": {"API_KEY": "other"}}}))
    assert after_secret["checksum/secret"] != before["checksum/secret"]


def test_existing_config_and_secret_are_referenced_not_created() -> None:
    m = render({"config": {"existingConfigMap": "shared"}, "secret": {"existingSecret": "vault"}})
    assert not m.all("ConfigMap")
    assert not m.all("Secret")
    assert container(m.get("Deployment"))["envFrom"] == [
        {"configMapRef": {"name": "shared"}},
        {"secretRef": {"name": "vault"}},
    ]
    assert not any(k.startswith("checksum/") for k in pod_annotations(m))


def test_startup_probe_and_shutdown_knobs() -> None:
    startup = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "failureThreshold": 30,
        "periodSeconds": 2,
    }
    m = render(
        {"startupProbe": startup, "preStopSleepSeconds": 0, "terminationGracePeriodSeconds": 60}
    )
    c = container(m.get("Deployment"))
    assert c["startupProbe"] == startup
    assert "lifecycle" not in c
    assert pod_spec(m)["terminationGracePeriodSeconds"] == 60


def test_scheduling_and_pull_options() -> None:
    tolerations = [
        {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
    ]
    affinity = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}
    zone = {
        "maxSkew": 1,
        "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"custom": "yes"}},
    }
    spec = pod_spec(
        render(
            {
                "nodeSelector": {"pool": "web"},
                "tolerations": tolerations,
                "affinity": affinity,
                "priorityClassName": "high",
                "imagePullSecrets": [{"name": "regcred"}],
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 2,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                    },
                    zone,
                ],
                "podAnnotations": {"team": "shop"},
                "podLabels": {"tier": "web"},
            }
        )
    )
    assert spec["nodeSelector"] == {"pool": "web"}
    assert spec["tolerations"] == tolerations
    assert spec["affinity"] == affinity
    assert spec["priorityClassName"] == "high"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    hostname, kept = spec["topologySpreadConstraints"]
    assert hostname["labelSelector"]["matchLabels"]["flaskops.io/track"] == "stable"
    assert kept == zone


def test_pod_annotations_and_labels() -> None:
    m = render({"podAnnotations": {"team": "shop"}, "podLabels": {"tier": "web"}})
    assert pod_annotations(m)["team"] == "shop"
    assert m.get("Deployment")["spec"]["template"]["metadata"]["labels"]["tier"] == "web"


@pytest.mark.parametrize("track", ["canary", "preview"])
def test_a_tracks_own_pod_labels_win_and_stay_out_of_the_selector(track: str) -> None:
    # The operator's flaskops.io/revision: per track, relabeled to `revision` by the monitor.
    rev = "flaskops.io/revision"
    m = render(
        {
            "podLabels": {rev: "stable-rev", "tier": "web", "flaskops.io/track": "x"},
            track: {
                "enabled": True,
                "image": {"tag": "2.0"},
                "podLabels": {rev: "new-rev"},
                **({"weight": 20} if track == "canary" else {}),
            },
        }
    )
    for name, own, revision in (
        (FULLNAME, "stable", "stable-rev"),
        (f"{FULLNAME}-{track}", track, "new-rev"),
    ):
        deploy = m.get("Deployment", name)
        labels = deploy["spec"]["template"]["metadata"]["labels"]
        assert (labels[rev], labels["tier"]) == (revision, "web")
        assert labels["flaskops.io/track"] == own  # the track labels always win
        assert rev not in deploy["spec"]["selector"]["matchLabels"]
        assert rev not in deploy["metadata"]["labels"]


def test_monitor_relabels_the_revision_label() -> None:
    endpoint = render().get("ServiceMonitor")["spec"]["endpoints"][0]
    assert {
        "sourceLabels": ["__meta_kubernetes_pod_label_flaskops_io_revision"],
        "targetLabel": "revision",
    } in endpoint["relabelings"]


def test_hpa_with_cpu_memory_and_custom_metrics() -> None:
    external = {
        "type": "External",
        "external": {
            "metric": {"name": "queue_depth"},
            "target": {"type": "AverageValue", "averageValue": "30"},
        },
    }
    m = render(
        {
            "autoscaling": {
                "enabled": True,
                "minReplicas": 3,
                "maxReplicas": 12,
                "targetCPUUtilizationPercentage": 70,
                "targetMemoryUtilizationPercentage": 80,
                "metrics": [external],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            }
        }
    )
    hpa = m.get("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    by_type = {(x["type"], x.get("resource", {}).get("name")): x for x in hpa["spec"]["metrics"]}
    assert by_type[("Resource", "cpu")]["resource"]["target"]["averageUtilization"] == 70
    assert by_type[("Resource", "memory")]["resource"]["target"]["averageUtilization"] == 80
    assert by_type[("External", None)] == external
    assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 300}}
    assert "replicas" not in m.get("Deployment")["spec"]  # the HPA owns it


@pytest.mark.parametrize(
    ("autoscaling", "message"),
    [
        (
            {"enabled": True, "minReplicas": 5, "maxReplicas": 2},
            "autoscaling.minReplicas (5) is above",
        ),
        (
            {"enabled": True, "targetCPUUtilizationPercentage": 0},
            "autoscaling.enabled needs a metric",
        ),
    ],
)
def test_hpa_misconfiguration_fails(autoscaling: dict[str, Any], message: str) -> None:
    assert message in render_error({"autoscaling": autoscaling})


def test_pdb_min_available_and_disabled() -> None:
    pdb = render({"podDisruptionBudget": {"minAvailable": "50%"}}).get("PodDisruptionBudget")[
        "spec"
    ]
    assert pdb["minAvailable"] == "50%"
    assert "maxUnavailable" not in pdb
    assert not render({"podDisruptionBudget": {"enabled": False}}).all("PodDisruptionBudget")


def test_network_policy_peers_metrics_port_and_egress() -> None:
    ingress_ns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }
    collector = {
        "to": [{"namespaceSelector": {"matchLabels": {"name": "observability"}}}],
        "ports": [{"port": 4318}],
    }
    np = render(
        {
            "metrics": {"port": 9100},
            "networkPolicy": {
                "ingress": {"fromSameNamespace": False, "from": [ingress_ns]},
                "egress": {"restrict": True, "to": [collector]},
            },
        }
    ).get("NetworkPolicy")["spec"]
    assert np["policyTypes"] == ["Ingress", "Egress"]
    app_rule, monitoring_rule = np["ingress"]
    assert app_rule["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "rel"}}},
        ingress_ns,
    ]
    assert monitoring_rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    dns, extra = np["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert extra == collector
    assert not render({"networkPolicy": {"enabled": False}}).all("NetworkPolicy")


def test_separate_metrics_port() -> None:
    m = render({"metrics": {"port": 9100}})
    ports = {p["name"]: p["containerPort"] for p in container(m.get("Deployment"))["ports"]}
    assert ports == {"http": 8000, "metrics": 9100}
    assert {p["name"] for p in m.get("Service")["spec"]["ports"]} == {"http", "metrics"}
    assert m.get("ServiceMonitor")["spec"]["endpoints"][0]["port"] == "metrics"


def test_pod_monitor_with_release_label() -> None:
    m = render(
        {
            "metrics": {
                "monitor": {
                    "kind": "PodMonitor",
                    "labels": {"release": "kube-prometheus-stack"},
                    "interval": "15s",
                }
            }
        }
    )
    assert not m.all("ServiceMonitor")
    pm = m.get("PodMonitor")
    assert pm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    endpoint = pm["spec"]["podMetricsEndpoints"][0]
    assert endpoint["interval"] == "15s"
    assert {r["targetLabel"] for r in endpoint["relabelings"]} >= {"service", "track"}


def test_monitoring_objects_need_the_api() -> None:
    m = render(api_versions=())
    assert not m.all("ServiceMonitor")
    assert not m.all("PrometheusRule")
    assert m.all("Deployment")


def test_metrics_disabled() -> None:
    m = render({"metrics": {"enabled": False}})
    assert not m.all("ServiceMonitor")
    assert not m.all("PrometheusRule")
    assert "PROMETHEUS_MULTIPROC_DIR" not in env_map(m.get("Deployment"))


def test_ingress() -> None:
    ingress = render(
        {
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "annotations": {"cert-manager.io/cluster-issuer": "le"},
                "hosts": [
                    {"host": "shop.example.com", "paths": [{"path": "/api", "pathType": "Prefix"}]}
                ],
                "tls": [{"secretName": "shop-tls", "hosts": ["shop.example.com"]}],
            }
        }
    ).get("Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "le"}
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "shop.example.com"
    assert rule["http"]["paths"][0] == {
        "path": "/api",
        "pathType": "Prefix",
        "backend": {"service": {"name": FULLNAME, "port": {"name": "http"}}},
    }
    assert ingress["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]


def test_http_route() -> None:
    parent = {"name": "public", "namespace": "gateways", "sectionName": "https"}
    match = {"path": {"type": "PathPrefix", "value": "/orders"}, "method": "GET"}
    route = render(
        {
            "httpRoute": {
                "enabled": True,
                "parentRefs": [parent],
                "hostnames": ["shop.example.com"],
                "rules": [{"matches": [match]}],
            }
        }
    ).get("HTTPRoute")
    assert route["spec"]["parentRefs"] == [parent]
    assert route["spec"]["hostnames"] == ["shop.example.com"]
    assert route["spec"]["rules"] == [
        {"matches": [match], "backendRefs": [{"name": FULLNAME, "port": 80, "weight": 1}]}
    ]


def test_opentelemetry_operator_mode() -> None:
    m = render({"opentelemetry": {"mode": "operator", "instrumentation": "observability/python"}})
    assert (
        pod_annotations(m)["instrumentation.opentelemetry.io/inject-python"]
        == "observability/python"
    )
    env = env_map(m.get("Deployment"))
    # the operator fills in the rest; the name stays the same for both tracks
    assert env["OTEL_SERVICE_NAME"] == FULLNAME
    assert not any(k.startswith("OTEL_") and k != "OTEL_SERVICE_NAME" for k in env)


def test_opentelemetry_off_and_tuned() -> None:
    assert not any(
        k.startswith("OTEL_")
        for k in env_map(render({"opentelemetry": {"mode": "off"}}).get("Deployment"))
    )
    env = env_map(
        render(
            {
                "opentelemetry": {
                    "endpoint": "http://collector:4318",
                    "sampler": "always_on",
                    "serviceName": "orders",
                    "resourceAttributes": {"deployment.environment": "prod"},
                }
            }
        ).get("Deployment")
    )
    assert (
        env["OTEL_EXPORTER_OTLP_ENDPOINT"],
        env["OTEL_TRACES_SAMPLER"],
        env["OTEL_SERVICE_NAME"],
    ) == (
        "http://collector:4318",
        "always_on",
        "orders",
    )
    assert env["OTEL_RESOURCE_ATTRIBUTES"].endswith(",deployment.environment=prod")


def test_restricted_fields_are_forced() -> None:
    m = render(
        {
            "securityContext": {
                "allowPrivilegeEscalation": True,
                "privileged": True,
                "capabilities": {"add": ["NET_ADMIN", "NET_BIND_SERVICE"]},
                "seccompProfile": {"type": "Unconfined"},
            },
            "podSecurityContext": {"runAsNonRoot": False, "seccompProfile": {"type": "Unconfined"}},
        }
    )
    sc = container(m.get("Deployment"))["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod_spec(m)["securityContext"]["runAsNonRoot"] is True


def test_restricted_opt_out_keeps_user_values() -> None:
    m = render(
        {
            "restrictedPodSecurity": False,
            "securityContext": {
                "allowPrivilegeEscalation": True,
                "runAsUser": 0,
                "runAsNonRoot": False,
            },
        }
    )
    sc = container(m.get("Deployment"))["securityContext"]
    assert sc["allowPrivilegeEscalation"] is True
    assert sc["runAsUser"] == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"securityContext": {"runAsUser": 0}},
            "securityContext.runAsUser: 0 (root) is not allowed",
        ),
        (
            {"podSecurityContext": {"runAsUser": 0}},
            "podSecurityContext.runAsUser: 0 (root) is not allowed",
        ),
        (
            {"volumes": [{"name": "host", "hostPath": {"path": "/var"}}]},
            "volumes[0].hostPath is not allowed",
        ),
    ],
)
def test_restricted_violations_fail(values: dict[str, Any], message: str) -> None:
    assert message in render_error(values)


def test_extra_volumes() -> None:
    m = render(
        {
            "volumes": [{"name": "data", "emptyDir": {}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        }
    )
    assert {"name": "data", "mountPath": "/data"} in container(m.get("Deployment"))["volumeMounts"]
    assert {"name": "data", "emptyDir": {}} in pod_spec(m)["volumes"]


@pytest.mark.parametrize(
    ("release", "values", "fullname"),
    [
        ("shop", {}, "shop-flask-service"),
        ("my-flask-service", {}, "my-flask-service"),  # already contains the chart name
        ("shop", {"nameOverride": "orders"}, "shop-orders"),
        ("shop", {"fullnameOverride": "orders"}, "orders"),
        ("x" * 53, {}, "x" * 53 + "-flask-ser"),  # truncated to 63
    ],
)
def test_fullname_follows_helm_create(release: str, values: dict[str, Any], fullname: str) -> None:
    m = render(values, release=release)
    assert m.names("Deployment") == {fullname}
    canary = render(values | {"canary": {"enabled": True, "image": {"tag": "2"}}}, release=release)
    assert all(len(n) <= 63 for n in canary.names("Deployment"))


def test_service_account_and_service_options() -> None:
    m = render(
        {
            "serviceAccount": {"create": False},
            "service": {"type": "NodePort", "port": 8080, "annotations": {"a": "b"}},
        }
    )
    assert not m.all("ServiceAccount")
    assert pod_spec(m)["serviceAccountName"] == "default"
    svc = m.get("Service")
    assert (
        svc["spec"]["type"],
        svc["spec"]["ports"][0]["port"],
        svc["metadata"]["annotations"],
    ) == ("NodePort", 8080, {"a": "b"})
    named = render({"serviceAccount": {"name": "orders", "annotations": {"iam": "role"}}})
    assert named.get("ServiceAccount", "orders")["metadata"]["annotations"] == {"iam": "role"}
    assert pod_spec(named)["serviceAccountName"] == "orders"


def test_notes_say_how_to_reach_the_service_and_metrics() -> None:
    values = {"replicaCount": 3, "canary": {"enabled": True, "image": {"tag": "v2"}, "weight": 33}}
    values |= {"ingress": {"enabled": True}, "metrics": {"monitor": {"labels": {"release": "kps"}}}}
    proc = helm_template(values, extra=["--dry-run=client"], command="install")
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout.split("NOTES:", 1)[1]
    assert f"kubectl -n demo port-forward svc/{FULLNAME} 8080:80" in notes
    assert "Ingress: http://chart-example.local/" in notes
    assert "curl http://127.0.0.1:9090/metrics" in notes
    assert "No ServiceMonitor/PodMonitor was created: this cluster does not serve" in notes
    assert "requested weight 33%, effective 33.33% (1 of 3 pods)" in notes
