"""`make charts-push` into a real OCI registry (CNCF distribution on loopback), then the
charts install from oci:// into the local cluster: the operator chart with helm, a service
with the CI release step (ci/scripts/release-helm.sh), and a service's values are checked
against the published chart by the CI chart step."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.support.kube import Helm, Kubectl
from tests.support.registry import Registry
from tests.support.tools import REPO, require

HELM_CHART_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_CONTENT = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
HELM_CHART_PROV = "application/vnd.cncf.helm.chart.provenance.v1.prov"


def published_charts() -> list[str]:
    """The Makefile's PUBLISHED_CHARTS, as make itself expands it."""
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print"],
        input="print:\n\t@echo $(PUBLISHED_CHARTS)\n", cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [Path(c).name for c in out.stdout.split()]


def _version(chart: str) -> str:
    return str(yaml.safe_load((REPO / "charts" / chart / "Chart.yaml").read_text())["version"])


@contextlib.contextmanager
def signing_key(home: Path, name: str) -> Iterator[tuple[Path, Path]]:
    """A throwaway PGP key: (secret keyring, public keyring) in the legacy files helm reads."""
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = [require("gpg"), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    try:
        subprocess.run([*gpg, "--quick-gen-key", f"{name} <charts@flaskops.invalid>", "rsa2048", "sign", "never"],
                       env=env, check=True, capture_output=True)  # fmt: skip
        for flag, file in (("--export-secret-keys", "secring.gpg"), ("--export", "pubring.gpg")):
            (home / file).write_bytes(
                subprocess.run([*gpg, flag], env=env, check=True, capture_output=True).stdout
            )
        yield home / "secring.gpg", home / "pubring.gpg"
    finally:
        # The agent gpg started for this home only.
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"], env=env, check=False, capture_output=True
        )


def test_charts_pushed_to_oci_install_into_the_cluster(
    helm: Helm, kubectl: Kubectl, namespace: str, oci_registry: Registry, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HELM_REGISTRY_CONFIG": str(tmp_path / "registry.json"),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
    }
    dist, repo = tmp_path / "dist", f"oci://{oci_registry.host}/charts"
    with (
        signing_key(tmp_path / "gnupg", "flaskops charts") as (secring, pubring),
        signing_key(tmp_path / "other", "someone else") as (_, other_pubring),
    ):
        _push_verify_install(oci_registry, helm, kubectl, namespace, tmp_path, env, dist, repo,
                             secring, pubring, other_pubring)  # fmt: skip


def _push_verify_install(
    oci_registry: Registry, helm: Helm, kubectl: Kubectl, namespace: str, tmp_path: Path,
    env: dict[str, str], dist: Path, repo: str, secring: Path, pubring: Path, other_pubring: Path,
) -> None:  # fmt: skip
    # -o chart-deps: `make test` built them already; rebuilding charts/*/charts/*.tgz while
    # other workers render those charts would race them.
    push = subprocess.run(
        ["make", "-s", "-o", "chart-deps", "charts-push", f"CHARTS_DIST={dist}", f"CHARTS_REGISTRY={repo}",
         "HELM_PUSH_FLAGS=--plain-http", "CHARTS_SIGN_KEY=flaskops charts", f"CHARTS_KEYRING={secring}"],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert push.returncode == 0, push.stdout + push.stderr
    charts = published_charts()
    assert {"flask-lib", "flask-service", "flaskops-operator"} <= set(charts)
    packages = [f"{c}-{_version(c)}.tgz" for c in charts]
    assert sorted(p.name for p in dist.iterdir()) == sorted(
        [*packages, *(f"{p}.prov" for p in packages)]
    )

    # What the registry holds is byte for byte what was packaged, and pulls back unchanged.
    (tmp_path / "pulled").mkdir()
    (tmp_path / "refused").mkdir()
    for chart in charts:
        version, package = _version(chart), dist / f"{chart}-{_version(chart)}.tgz"
        digest, manifest = oci_registry.manifest(f"charts/{chart}", version)
        assert manifest["config"]["mediaType"] == HELM_CHART_CONFIG
        layers = {layer["mediaType"]: layer["digest"] for layer in manifest["layers"]}
        assert (
            layers[HELM_CHART_CONTENT]
            == "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest()
        )
        prov = Path(f"{package}.prov").read_bytes()
        assert layers[HELM_CHART_PROV] == "sha256:" + hashlib.sha256(prov).hexdigest()
        pull = [
            require("helm"),
            "pull",
            f"{repo}/{chart}",
            "--version",
            version,
            "--plain-http",
            "--verify",
        ]
        pulled = subprocess.run(
            [*pull, "--keyring", str(pubring), "--destination", str(tmp_path / "pulled")],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert pulled.returncode == 0, pulled.stderr
        assert f"Digest: {digest}" in pulled.stdout + pulled.stderr
        assert "Signed by: flaskops charts" in pulled.stdout + pulled.stderr
        assert (tmp_path / "pulled" / package.name).read_bytes() == package.read_bytes()
        # The same pull trusting only another key is refused.
        refused = subprocess.run(
            [*pull, "--keyring", str(other_pubring), "--destination", str(tmp_path / "refused")],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "signature made by unknown entity" in refused.stderr, refused.stderr

    # The operator chart, from oci://, verified, into the local cluster. (Own cache: helm
    # caches pulled charts by digest, and the package bytes repeat across runs, the keys not.)
    install = subprocess.run(
        [helm.binary, "--kubeconfig", str(helm.kubeconfig), "install", "flaskops", f"{repo}/flaskops-operator",
         "--version", _version("flaskops-operator"), "--plain-http", "--verify", "--keyring", str(pubring),
         "-n", namespace, "--set", "crds.install=false", "--set", f"watchNamespaces={{{namespace}}}",
         "--set", "metrics.serviceMonitor.enabled=false", "--wait", "--timeout", "2m"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    deploys = kubectl.json("get", "deployments", "-n", namespace)["items"]
    assert [d["status"].get("availableReplicas") for d in deploys] == [1]

    # A service released by the CI helm step from the published flask-service chart.
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"image": {"repository": "registry.example/catalog"}}))
    check = subprocess.run(
        ["bash", str(REPO / "ci/scripts/chart.sh"), "--plain-http", "--version", _version("flask-service"),
         "--values", str(values), f"{repo}/flask-service"],
        capture_output=True, text=True, env={**env, "PATH": f"{Path(require('helm')).parent}:{env['PATH']}"},
        check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    release = subprocess.run(
        ["bash", str(REPO / "ci/scripts/release-helm.sh"), "--release", "catalog", "--namespace", namespace,
         "--chart", f"{repo}/flask-service", "--chart-version", _version("flask-service"),
         "--values", str(values), "--tag", "1.4.2", "--helm-arg", "--plain-http",
         "--helm-arg", f"--kubeconfig={kubectl.kubeconfig}"],
        capture_output=True, text=True, env={**env, "PATH": f"{Path(require('helm')).parent}:{env['PATH']}"},
        timeout=300, check=False,
    )  # fmt: skip
    assert release.returncode == 0, release.stdout + release.stderr
    images = [
        d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in kubectl.json(
            "get", "deployments", "-n", namespace, "-l", "app.kubernetes.io/instance=catalog"
        )["items"]
    ]
    assert images == ["registry.example/catalog:1.4.2"]
    helm.run("uninstall", "catalog", "flaskops", "-n", namespace, check=False)
