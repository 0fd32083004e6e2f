#!/usr/bin/env bash
# A local Kubernetes control plane with no container engine: kwokctl runs etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and the kwok controller as plain
# processes from the pinned binaries (hack/tools.sh), with fake nodes for pods.
#   hack/cluster.sh up [name]     create (or start) the cluster; last line: export KUBECONFIG=...
#   hack/cluster.sh down [name]   delete it
#   hack/cluster.sh kubeconfig [name]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${2:-${CLUSTER_NAME:-flaskops}}
nodes=${CLUSTER_NODES:-3}
bin=$(bash "$here/tools.sh" bindir)

tool() { # tool <binary> <override-variable>: honour explicit paths, then KUBEBUILDER_ASSETS
  local override=${!2:-}
  if [ -n "$override" ]; then echo "$override"
  elif [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$1" ]; then echo "$KUBEBUILDER_ASSETS/$1"
  else echo "$bin/$1"; fi
}
KWOKCTL=$(tool kwokctl KWOKCTL)
KWOKCTL_ARGS=(-v "${KWOK_LOG_LEVEL:-WARN}")
# CLUSTER_CONFIG: a KwokctlConfiguration, e.g. hack/bench-cluster.yaml (a /16 Service CIDR).
if [ -n "${CLUSTER_CONFIG:-}" ]; then KWOKCTL_ARGS+=(-c "$CLUSTER_CONFIG"); fi
export KWOK_KUBECTL_BINARY; KWOK_KUBECTL_BINARY=$(tool kubectl KUBECTL)
for b in "$KWOKCTL" "$KWOK_KUBECTL_BINARY"; do
  [ -x "$b" ] || { echo "missing $b: run 'make tools' first" >&2; exit 1; }
done
kubeconfig() { echo "${KWOK_WORKDIR:-$HOME/.kwok}/clusters/$name/kubeconfig.yaml"; }

# One controller-manager and one scheduler: no leader election. With it they exit when a
# lease renewal misses its deadline (a loaded 2-core host, an apiserver or etcd outage),
# and then no Pod, ReplicaSet or default ServiceAccount is ever created again.
up() {
  local kc; kc=$(kubeconfig)
  # kwokctl picks its ports by probing for free ones and binds them only when the processes
  # start: two clusters created at once on one machine (parallel test workers, a demo next
  # to a test run) can pick the same apiserver port. One creation at a time, machine-wide.
  # The lock's descriptor is closed for kwokctl (9>&-): the processes it leaves running
  # would otherwise hold the lock for as long as the cluster lives.
  exec 9>"${TMPDIR:-/tmp}/flaskops-kwokctl-up.lock"
  flock 9
  if "$KWOKCTL" get clusters 2>/dev/null | grep -qx "$name"; then
    # Already created: make sure its processes run (they do not survive a reboot).
    if ! KUBECONFIG=$kc "$KWOK_KUBECTL_BINARY" get --raw /readyz >/dev/null 2>&1; then
      "$KWOKCTL" "${KWOKCTL_ARGS[@]}" start cluster --name "$name" >&2 9>&-
    fi
    echo "cluster $name is up" >&2
  else
    local start=$SECONDS
    "$KWOKCTL" "${KWOKCTL_ARGS[@]}" create cluster --name "$name" --runtime binary \
      --kube-authorization=true --kube-admission=true \
      --kube-apiserver-binary "$(tool kube-apiserver TEST_ASSET_KUBE_APISERVER)" \
      --kube-controller-manager-binary "$(tool kube-controller-manager KUBE_CONTROLLER_MANAGER)" \
      --kube-scheduler-binary "$(tool kube-scheduler KUBE_SCHEDULER)" \
      --etcd-binary "$(tool etcd TEST_ASSET_ETCD)" \
      --kwok-controller-binary "$(tool kwok KWOK)" \
      --kube-audit-policy "$here/audit-policy.yaml" \
      --extra-args kube-controller-manager=leader-elect=false \
      --extra-args kube-scheduler=leader-elect=false \
      --wait 120s >&2 9>&-
    "$KWOKCTL" "${KWOKCTL_ARGS[@]}" scale node --name "$name" --replicas "$nodes" >&2 9>&-
    echo "cluster $name created in $((SECONDS - start))s: etcd, kube-apiserver," \
      "kube-controller-manager, kube-scheduler, kwok-controller, $nodes fake nodes" >&2
  fi
  exec 9>&-
  echo "export KUBECONFIG=$kc"
}

down() {
  if "$KWOKCTL" get clusters 2>/dev/null | grep -qx "$name"; then
    "$KWOKCTL" "${KWOKCTL_ARGS[@]}" delete cluster --name "$name" >&2
  else
    echo "no cluster named $name" >&2
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kubeconfig) kubeconfig ;;
  *) echo "usage: $0 up|down|kubeconfig [name]" >&2; exit 2 ;;
esac
