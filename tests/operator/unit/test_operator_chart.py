"""The operator chart: a strict values schema, a restricted pod, a CRD from `make generate`."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.support.operator import OPERATOR_CHART
from tests.support.tools import require


def template(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("helm"), "template", "op", str(OPERATOR_CHART), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--set", "imgae.tag=1"], "additional properties 'imgae' not allowed"),
        (["--set", "replicaCount=-1"], "/replicaCount"),
        (["--set", "watchNamespaces={Bad_NS}"], "/watchNamespaces/0"),
        (["--set", "metrics.port=70000"], "/metrics/port"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (["--set", "sharding.shard=-bad-"], "/sharding/shard"),
        (["--set", "sharding.shard=a", "--set", "sharding.unlabelled=true"], "/sharding"),
    ],
)
def test_bad_values_are_rejected_naming_the_key(args: list[str], named: str) -> None:
    proc = template(*args)
    assert proc.returncode != 0
    assert named in proc.stderr


def test_defaults_render_a_restricted_operator_with_the_crd() -> None:
    proc = template()
    assert proc.returncode == 0, proc.stderr
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(proc.stdout) if d}
    assert ("CustomResourceDefinition", "flaskservices.flaskops.io") in docs
    pod = docs[("Deployment", "op")]["spec"]["template"]["spec"]
    container = pod["containers"][0]["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"] == {"drop": ["ALL"]}
    # The CRD survives `helm uninstall`: deleting it would delete every FlaskService.
    crd = docs[("CustomResourceDefinition", "flaskservices.flaskops.io")]
    assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        ([], []),
        (["--set", "sharding.shard=team-a"], ["--shard=team-a"]),
        (["--set", "sharding.unlabelled=true"], ["--shard-unlabelled"]),
    ],
)
def test_sharding_values_become_the_operators_shard_flags(
    args: list[str], flags: list[str]
) -> None:
    proc = template(*args)
    assert proc.returncode == 0, proc.stderr
    deploy = next(d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == "Deployment")
    container_args = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in container_args if a.startswith("--shard")] == flags
