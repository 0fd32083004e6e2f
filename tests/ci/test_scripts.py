"""The step scripts the CI templates call, run here for real: the test step tests the
reference catalog service, the chart step lints and packages, the release step commits the
GitOps change (a real git repository) or prints the helm command.

Not run here: the image step (buildx/BuildKit needs a container engine, signing needs an
OIDC issuer and a remote registry) and pushes to remote git or registries."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.support.tools import REPO, require

SCRIPTS = REPO / "ci/scripts"
CATALOG = REPO / "examples/services/catalog"


def run(
    *argv: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PATH": f"{Path(require('helm')).parent}:{os.environ['PATH']}",
        **(env or {}),
    }
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=600,
    )


def test_scripts_pass_shellcheck() -> None:
    proc = run(require("shellcheck"), *sorted(SCRIPTS.glob("*.sh")))
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_test_step_lints_and_tests_the_catalog(tmp_path: Path, installer: str) -> None:
    proc = run(
        "bash",
        SCRIPTS / "test.sh",
        "--installer",
        installer,
        "--install",
        REPO / "telemetry",
        "--install",
        REPO / "examples/services/common",
        "--venv",
        tmp_path / "venv",
        CATALOG,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
    assert "All checks passed!" in proc.stdout


def test_test_step_fails_on_a_failing_test(tmp_path: Path) -> None:
    service = tmp_path / "catalog"
    shutil.copytree(CATALOG, service)
    shutil.copy(CATALOG.parent / "requirements.txt", tmp_path)  # the services' shared pins
    api = service / "catalog/api.py"
    api.write_text(api.read_text().replace('"service": "catalog"', '"service": "katalog"'))
    (service / "tests/test_index.py").write_text(
        "from catalog.app import create_app\n\n\n"
        "def test_index_names_the_service() -> None:\n"
        '    assert create_app().test_client().get("/").get_json()["service"] == "catalog"\n'
    )
    proc = run("bash", SCRIPTS / "test.sh", "--install", REPO / "telemetry", "--install", REPO / "examples/services/common", "--venv", tmp_path / "venv", service,
               env={"OTEL_SDK_DISABLED": "true", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 3 passed" in proc.stdout


def test_test_step_names_a_bad_option() -> None:
    proc = run("bash", SCRIPTS / "test.sh", "--installer", "poetry", CATALOG)
    assert proc.returncode == 2
    assert "--installer must be uv or pip, not 'poetry'" in proc.stderr


def _chart_yaml(package: Path) -> dict[str, str]:
    with tarfile.open(package) as tar:
        name = next(n for n in tar.getnames() if n.count("/") == 1 and n.endswith("/Chart.yaml"))
        data = tar.extractfile(name)
        assert data is not None
        return dict(yaml.safe_load(data))


def test_chart_step_lints_and_packages_with_the_service_values(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump({"image": {"repository": "ghcr.io/acme/catalog", "tag": "sha-1"}})
    )
    proc = run("bash", SCRIPTS / "chart.sh", "--values", values, "--version", "0.1.0-ci.7",
               "--app-version", "sha-1", "--destination", tmp_path / "dist", REPO / "charts/flask-service")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    package = Path(proc.stdout.strip().splitlines()[-1])
    assert package == tmp_path / "dist/flask-service-0.1.0-ci.7.tgz"
    meta = _chart_yaml(package)
    assert (meta["version"], meta["appVersion"]) == ("0.1.0-ci.7", "sha-1")
    assert "1 chart(s) linted, 0 chart(s) failed" in proc.stderr


def test_chart_step_rejects_values_the_chart_schema_refuses(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"replicaCount": "three"}))
    proc = run("bash", SCRIPTS / "chart.sh", "--values", values, "--destination", tmp_path / "dist",
               REPO / "charts/flask-service")  # fmt: skip
    assert proc.returncode != 0
    assert "replicaCount" in proc.stdout + proc.stderr
    assert not (tmp_path / "dist").exists()


MANIFEST = """\
# catalog in production: the release pipeline only ever touches image.tag.
apiVersion: flaskops.io/v1alpha1
kind: FlaskService
metadata:
  name: catalog
spec:
  image:
    repository: ghcr.io/acme/catalog
    tag: sha-1111111   # bumped by CI
  replicaCount: 4
---
apiVersion: flaskops.io/v1alpha1
kind: FlaskService
metadata:
  name: orders
spec:
  image:
    repository: ghcr.io/acme/orders
    tag: sha-2222222
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [require("git"), "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_release_step_commits_the_new_tag_to_the_gitops_repository(tmp_path: Path) -> None:
    remote, repo = tmp_path / "remote.git", tmp_path / "gitops"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(tmp_path, "clone", "-q", str(remote), str(repo))
    (repo / "apps").mkdir()
    (repo / "apps/services.yaml").write_text(MANIFEST)
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init")
    _git(repo, "push", "-q", "origin", "HEAD:main")

    argv = ["bash", SCRIPTS / "release-gitops.sh", "--repo", repo, "--file", "apps/services.yaml",
            "--name", "catalog", "--tag", "sha-3333333", "--push"]  # fmt: skip
    proc = run(*argv)
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.strip().splitlines()[-1]
    assert _git(remote, "rev-parse", "main").strip() == head
    diff = _git(repo, "show", "--format=%s%n%an <%ae>", "--unified=0", head)
    assert diff.startswith("release: catalog sha-3333333\nflaskops-ci <ci@flaskops.invalid>\n")
    changed = [
        line
        for line in diff.splitlines()
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-    tag: sha-1111111   # bumped by CI",
        "+    tag: sha-3333333   # bumped by CI",
    ]
    docs = list(yaml.safe_load_all((repo / "apps/services.yaml").read_text()))
    assert docs[1]["spec"]["image"]["tag"] == "sha-2222222"

    again = run(*argv)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "unchanged"
    assert _git(repo, "rev-parse", "HEAD").strip() == head


def test_release_step_names_a_missing_flaskservice(tmp_path: Path) -> None:
    repo = tmp_path / "gitops"
    _git(tmp_path, "init", "-q", str(repo))
    (repo / "services.yaml").write_text(MANIFEST)
    proc = run("bash", SCRIPTS / "release-gitops.sh", "--repo", repo, "--file", "services.yaml",
               "--name", "cart", "--tag", "sha-3")  # fmt: skip
    assert proc.returncode != 0
    assert "expected one FlaskService named 'cart', found ['catalog', 'orders']" in proc.stderr


def test_helm_release_step_prints_the_upgrade_command() -> None:
    proc = run("bash", SCRIPTS / "release-helm.sh", "--release", "catalog", "--namespace", "shop",
               "--chart", "oci://ghcr.io/flaskops/charts/flask-service", "--chart-version", "0.1.0",
               "--values", "deploy/values.yaml", "--tag", "sha-3333333", "--print")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "helm upgrade --install catalog oci://ghcr.io/flaskops/charts/flask-service --namespace shop"
        " --create-namespace --version 0.1.0 --values deploy/values.yaml"
        " --set-string image.tag=sha-3333333 --wait --timeout 5m\n"
    )
