#!/usr/bin/env bash
# `make demo KIND=1`: the demo on a kind cluster, with real containers. Needs a container
# engine (Docker or Podman) and network access to pull the base and node images; none of
# that exists on this repository's CI machines, so CI lints this script (shellcheck), the
# kind config (kind's own decoder) and the manifests, and runs `make demo` (kwok) instead.
#   hack/kind-demo.sh          create/reuse the cluster, build + load images, install, release
#   hack/kind-demo.sh down     delete the cluster
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=versions.env
source "$here/versions.env"
name=${KIND_CLUSTER_NAME:-flaskops}
node_image=${KIND_NODE_IMAGE:-kindest/node:${KUBERNETES_VERSION}}
kind=${KIND:-$(bash "$here/tools.sh" bindir)/kind}
export KUBECONFIG=${KUBECONFIG_KIND:-$HOME/.kube/flaskops-kind.yaml}

step() { printf '\n== %s\n' "$*"; }

if [ "${1:-}" = down ]; then
  "$kind" delete cluster --name "$name"
  exit 0
fi

step "kind cluster $name ($node_image)"
if ! "$kind" get clusters | grep -qx "$name"; then
  "$kind" create cluster --name "$name" --image "$node_image" --config "$here/kind/cluster.yaml" --wait 120s
fi

step "images: build and load into the nodes (no registry needed)"
for service in catalog orders; do
  docker build -q -f "$repo/examples/services/Dockerfile" --build-arg "SERVICE=$service" \
    -t "flaskops/$service:dev" "$repo"
  "$kind" load docker-image --name "$name" "flaskops/$service:dev"
done
docker build -q -f "$repo/operator/Dockerfile" -t flaskops/operator:dev "$repo"
"$kind" load docker-image --name "$name" flaskops/operator:dev

step "Prometheus (monitoring namespace)"
kubectl apply -f "$here/kind/prometheus.yaml"
kubectl -n monitoring rollout status deployment/prometheus --timeout=120s

step "flaskops operator (flaskops-system namespace)"
helm dependency build "$repo/charts/flask-service" >/dev/null
helm upgrade --install flaskops "$repo/charts/flaskops-operator" -n flaskops-system --create-namespace \
  --set image.repository=flaskops/operator --set image.tag=dev --set image.pullPolicy=Never \
  --set metrics.serviceMonitor.enabled=false --wait --timeout 3m

step "catalog as a FlaskService (demo namespace)"
kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/kind/catalog.yaml"
kubectl -n demo wait flaskservice/catalog --for=condition=Ready --timeout=180s

step "done"
cat <<EON
  export KUBECONFIG=$KUBECONFIG
  kubectl -n demo get flaskservice,deploy,pods
  kubectl -n demo port-forward svc/catalog 8001:80        # then: curl http://127.0.0.1:8001/items/3
  kubectl -n monitoring port-forward svc/prometheus 8090:9090
  Release a new version:  kubectl -n demo patch flaskservice catalog --type merge -p '{"spec":{"image":{"tag":"v2"}}}'
  Delete everything:      make demo KIND=1 DOWN=1
EON
