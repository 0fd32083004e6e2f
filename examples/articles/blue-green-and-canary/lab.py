"""The article's lab: the operator, Prometheus and the catalog's stand-ins on the local cluster.

    uv run --frozen python examples/articles/blue-green-and-canary/lab.py \
        --namespace shop --gateway 127.0.0.1:8080 --preview 127.0.0.1:8081 --prometheus 127.0.0.1:8090

What `make demo` runs, kept up while you type: the flaskops operator (as its chart's
ServiceAccount) for one namespace, a real Prometheus, and for the FlaskService `catalog` one
real gunicorn per track playing its pods. Two small proxies play the parts a container
engine and a Gateway would: `--gateway` sends each request through the HTTPRoute `catalog`
(its backendRef weights, then each Service's selector) to the stand-in of the selected
track; `--preview` does the same for the Service `catalog-preview`. It prints `ready` once
everything is up and runs until interrupted; then `--answers FILE` gets, for each version
that answered through the gateway, the statuses it answered with.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.support.kube import Helm, Kubectl  # noqa: E402
from tests.support.operator import (  # noqa: E402
    OperatorProcess,
    install_operator_chart,
    serviceaccount_kubeconfig,
)
from tests.support.prometheus import Prometheus  # noqa: E402
from tests.support.service_proxy import GatewayProxy, ServiceProxy  # noqa: E402
from tests.support.standins import StandIns  # noqa: E402
from tests.support.tools import crds_dir, require  # noqa: E402

NAME = "catalog"
CRD = REPO / "charts/flaskops-operator/files/flaskservices.flaskops.io.yaml"


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def start_when_present(
    kubectl: Kubectl, kind: str, name: str, ns: str, proxy: ServiceProxy
) -> None:
    """Proxies start once the object they follow exists (the reader creates it later)."""

    def run() -> None:
        while kubectl.run("get", kind, name, "-n", ns, check=False).returncode != 0:
            time.sleep(0.5)
        proxy.start()

    threading.Thread(target=run, daemon=True).start()


def answers(gateway: ServiceProxy) -> str:
    """Each version that answered through the gateway, in order, with the statuses it gave."""
    seen: dict[str, set[int]] = {}
    for r in sorted(gateway.records, key=lambda r: r.at):
        seen.setdefault(r.version or "(none)", set()).add(r.status)
    return "".join(f"{v} {' '.join(map(str, sorted(s)))}\n" for v, s in seen.items())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--namespace", default="shop")
    p.add_argument("--gateway", default="127.0.0.1:8080")
    p.add_argument("--preview", default="127.0.0.1:8081")
    p.add_argument("--prometheus", default="127.0.0.1:8090")
    p.add_argument("--answers", type=Path, help="on exit, write which versions answered")
    args = p.parse_args()
    kubeconfig = Path(os.environ["KUBECONFIG"])
    kubectl, helm = Kubectl(require("kubectl"), kubeconfig), Helm(require("helm"), kubeconfig)
    work = Path(tempfile.mkdtemp(prefix="flaskops-lab-"))
    ns = args.namespace

    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(CRD))
    kubectl.run("apply", "--server-side", "--force-conflicts", "-f", str(crds_dir()))
    kubectl.wait_established("flaskservices.flaskops.io", "httproutes.gateway.networking.k8s.io")
    kubectl.run("create", "namespace", ns)
    release = install_operator_chart(helm, kubectl, ns)
    operator = OperatorProcess(
        ns, serviceaccount_kubeconfig(kubectl, ns, release, work / "operator.kubeconfig"), work
    ).start()
    prometheus = Prometheus(
        require("prometheus"), work / "prometheus", port=port_of(args.prometheus)
    )
    standins = StandIns(kubectl, prometheus, ns, NAME, log_dir=work, drain_s=3).start()
    gateway = GatewayProxy(standins, kubeconfig, NAME, port=port_of(args.gateway))
    preview = ServiceProxy(standins, kubeconfig, f"{NAME}-preview", port=port_of(args.preview))
    start_when_present(kubectl, "httproute", NAME, ns, gateway)
    start_when_present(kubectl, "service", f"{NAME}-preview", ns, preview)

    print(f"operator:   running as ServiceAccount {ns}/{release}")
    print(f"prometheus: {prometheus.url}")
    print(f"gateway:    http://{args.gateway} -> HTTPRoute {ns}/{NAME}")
    print(f"preview:    http://{args.preview} -> Service {ns}/{NAME}-preview")
    print("ready", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    for part in (gateway, preview, standins):
        part.stop()
    if args.answers:
        args.answers.write_text(answers(gateway))
    operator.stop()
    prometheus.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
