#!/usr/bin/env bash
# Fetches the third-party CRDs the charts render objects for (ServiceMonitor, PodMonitor,
# PrometheusRule from prometheus-operator; HTTPRoute & co. from Gateway API) out of their
# Go modules, into a cache directory outside the repo. Prints that directory.
# `hack/crds.sh gitops`: the CRDs examples/gitops/ is written for instead (Flux's source,
# kustomize and helm controllers; Argo CD), for the server-side dry-run of its manifests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${FLASKOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flaskops}/tools
moddir() { GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }
if [ "${1-}" = gitops ]; then
  out="$cache/crds-flux-${FLUX_SOURCE_CONTROLLER_VERSION}-${FLUX_KUSTOMIZE_CONTROLLER_VERSION}-${FLUX_HELM_CONTROLLER_VERSION}-argocd-${ARGOCD_VERSION}"
  if [ ! -f "$out/.complete" ]; then
    mkdir -p "$out"
    for mod in "source-controller@$FLUX_SOURCE_CONTROLLER_VERSION" \
      "kustomize-controller@$FLUX_KUSTOMIZE_CONTROLLER_VERSION" "helm-controller@$FLUX_HELM_CONTROLLER_VERSION"; do
      cp "$(moddir "github.com/fluxcd/$mod")"/config/crd/bases/*.yaml "$out/"
    done
    cp "$(moddir "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION")"/manifests/crds/*-crd.yaml "$out/"
    chmod 644 "$out"/*.yaml
    touch "$out/.complete"
  fi
  echo "$out"
  exit 0
fi
out="$cache/crds-po-${PROMETHEUS_OPERATOR_VERSION}-gw-${GATEWAY_API_VERSION}"
if [ ! -f "$out/.complete" ]; then
  mkdir -p "$out"
  po=$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
  gw=$(moddir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
  for kind in servicemonitors podmonitors prometheusrules; do
    cp "$po/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" "$out/"
  done
  cp "$gw"/config/crd/standard/gateway.networking.k8s.io_*.yaml "$out/"
  chmod 644 "$out"/*.yaml
  touch "$out/.complete"
fi
echo "$out"
