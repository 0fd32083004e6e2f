"""What every fault test does: a canary rollout under real traffic and Prometheus, and the
checks that it converged cleanly."""

from __future__ import annotations

from typing import Any

from tests.operator.cluster.test_canary_modes import canary_spec
from tests.operator.cluster.test_lifecycle import NAME, fsvc, ready
from tests.support.kube import Kubectl
from tests.support.operator import events
from tests.support.prometheus import Prometheus


def start_service(
    kubectl: Kubectl, ns: str, prometheus: Prometheus, **analysis: Any
) -> dict[str, Any]:
    spec = canary_spec(prometheus, "replicas", "1.0.0")
    spec["rollout"]["analysis"].update(analysis)
    kubectl.apply(fsvc(spec), "-n", ns)
    kubectl.wait_for(f"flaskservice/{NAME}", phase("Ready"), "-n", ns, timeout=90)
    return spec


def phase(name: str) -> Any:
    def check(o: dict[str, Any]) -> bool:
        st = o.get("status") or {}
        return st.get("phase") == name and (ready(o) if name == "Ready" else True)

    return check


def release(kubectl: Kubectl, ns: str, spec: dict[str, Any], tag: str, bad: bool = False) -> None:
    spec["image"]["tag"] = tag
    spec["env"] = [{"name": "FAULT_ERROR_RATE", "value": "0.5"}] if bad else []
    kubectl.apply(fsvc(spec), "-n", ns)


def at_weight(kubectl: Kubectl, ns: str, weight: int, timeout: float = 60) -> dict[str, Any]:
    return kubectl.wait_for(  # type: ignore[no-any-return]
        f"flaskservice/{NAME}",
        lambda o: (o.get("status") or {}).get("weight") == weight,
        "-n",
        ns,
        timeout=timeout,
    )


def outcome_events(kubectl: Kubectl, ns: str) -> dict[str, int]:
    """Promoted / RolledBack Events, counting repeats the API server aggregated."""
    out = {"Promoted": 0, "RolledBack": 0}
    for e in events(kubectl, ns, NAME):
        if e["reason"] in out:
            out[str(e["reason"])] += int(e.get("count") or 1)  # type: ignore[call-overload]
    return out


def stable_template(kubectl: Kubectl, ns: str) -> tuple[str, str]:
    d = kubectl.json("get", f"deployment/{NAME}", "-n", ns)
    tpl = d["spec"]["template"]
    return tpl["spec"]["containers"][0]["image"], tpl["metadata"]["annotations"][
        "flaskops.io/revision"
    ]


def owned_deployments(kubectl: Kubectl, ns: str, uid: str) -> list[str]:
    items = kubectl.json("get", "deployments", "-n", ns, "-l", f"flaskops.io/flaskservice={NAME}")[
        "items"
    ]
    for d in items:
        assert d["metadata"]["ownerReferences"][0]["uid"] == uid, d["metadata"]["name"]
    return sorted(d["metadata"]["name"] for d in items)
