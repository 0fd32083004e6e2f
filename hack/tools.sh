#!/usr/bin/env bash
# Builds the pinned toolchain (hack/versions.env) from Go modules into a cache outside the
# repository, so a second run does no work.
#   hack/tools.sh bindir   print the bin directory for the pinned versions
#   hack/tools.sh build    build whatever is missing (idempotent)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# Each tool is built once into store/<tool>-<version>; the bin directory for this exact set
# of versions only holds links, so bumping or adding one tool rebuilds only that tool.
cache=${FLASKOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flaskops}/tools
key=$(grep -E '^[A-Z_]+=' "$here/versions.env" | sha256sum | cut -c1-12)
bin="$cache/k8s-${KUBERNETES_VERSION}-$key/bin"

log() { printf '[tools] %s\n' "$*" >&2; }

# Kubernetes staging modules that k8s.io/kubernetes replaces with ./staging paths; a
# wrapper module must point each at its published v0.x tag instead.
STAGING="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
cloud-provider cluster-bootstrap code-generator component-base component-helpers
controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver
sample-cli-plugin sample-controller"

wrapper() { # wrapper <name>: cd into a fresh throwaway module for one build
  local d="$cache/src/$1"
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  go mod init "local/$1" >/dev/null 2>&1
}

build_kubernetes() { # <out>
  local v=$KUBERNETES_VERSION minor
  minor=${v#v1.}; minor=${minor%%.*}
  wrapper kubernetes
  for m in $STAGING; do go mod edit -replace="k8s.io/$m=k8s.io/$m@v0.${v#v1.}"; done
  go mod edit -godebug=default=go1.25
  local cmds="kube-apiserver kube-controller-manager kube-scheduler kubectl"
  for c in $cmds; do go get -tool "k8s.io/kubernetes/cmd/$c@$v" >&2; done
  # Without these stamps /version says v0.0.0-master, which misleads helm's kubeVersion
  # checks and kwokctl's flag selection.
  local ldf=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldf+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for c in $cmds; do
    log "building $c $v"
    CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "-s -w $ldf" \
      -o "$1/$c" "k8s.io/kubernetes/cmd/$c"
  done
}

build_etcd() { # <out>; etcd's go.mod carries replaces, so go install refuses it
  wrapper etcd
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  log "building etcd $ETCD_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3
}

install() { # install <out> <version> <ldflags> <package>...
  local out=$1 v=$2 ldf=$3; shift 3
  for p in "$@"; do
    log "building $p@$v"
    GOBIN="$out" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w $ldf" "$p@$v"
  done
}

build_kwok() { install "$1" "$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
  sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl; }
build_helm() { install "$1" "$HELM_VERSION" "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  helm.sh/helm/v4/cmd/helm; }
build_kind() { install "$1" "$KIND_VERSION" "" sigs.k8s.io/kind; }
build_vegeta() { install "$1" "$VEGETA_VERSION" "-X main.Version=$VEGETA_VERSION" github.com/tsenart/vegeta/v12; }
build_actionlint() { install "$1" "$ACTIONLINT_VERSION" "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
  github.com/rhysd/actionlint/cmd/actionlint; }
build_registry() { install "$1" "$DISTRIBUTION_VERSION" \
  "-X github.com/distribution/distribution/v3/version.version=$DISTRIBUTION_VERSION" \
  github.com/distribution/distribution/v3/cmd/registry; }
build_helm-docs() { install "$1" "$HELM_DOCS_VERSION" "" github.com/norwoodj/helm-docs/cmd/helm-docs; }

build_otelcol() { # <out>: a minimal OpenTelemetry Collector (OTLP receiver -> file exporter)
  # for the tests' trace receiver. The builder only generates main.go/components.go: its
  # own `go mod tidy` also resolves the components' test-only modules, some of which the
  # proxy does not serve, so the wrapper module pins the components and builds just what
  # the binary imports.
  local v=$OTELCOL_VERSION cv=$OTELCOL_CONFMAP_VERSION
  local contrib=github.com/open-telemetry/opentelemetry-collector-contrib
  wrapper otelcol
  GOBIN="$PWD/.bin" CGO_ENABLED=0 go install "go.opentelemetry.io/collector/cmd/builder@$v"
  cat > manifest.yaml <<YAML
dist:
  name: otelcol-flaskops
  description: OTLP receiver writing received telemetry to a file, for flaskops tests
  output_path: $PWD/dist
  version: ${v#v}
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver $v
exporters:
  - gomod: $contrib/exporter/fileexporter $v
providers:
  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider $cv
  - gomod: go.opentelemetry.io/collector/confmap/provider/envprovider $cv
YAML
  # Pin first: once the generated sources exist, `go get` would resolve their imports at
  # the latest versions instead.
  go get "go.opentelemetry.io/collector/otelcol@$v" "go.opentelemetry.io/collector/receiver/otlpreceiver@$v" \
    "$contrib/exporter/fileexporter@$v" "go.opentelemetry.io/collector/confmap/provider/fileprovider@$cv" \
    "go.opentelemetry.io/collector/confmap/provider/envprovider@$cv" >&2
  ./.bin/builder --config=manifest.yaml --skip-compilation --skip-get-modules >&2
  go get ./dist >&2
  log "building otelcol-flaskops $v"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1/otelcol-flaskops" ./dist
}

build_prometheus() { # <out>: Prometheus 3.x + promtool; prometheus's go.mod may carry
  # replace/exclude lines (go install refuses those), so a wrapper module builds them.
  local v=$PROMETHEUS_VERSION rel m
  m=${v#v0.}; rel="${m:0:1}.$((10#${m%%.*} % 100)).${m#*.}"  # v0.316.0 -> 3.16.0
  wrapper prometheus
  go get -tool "github.com/prometheus/prometheus/cmd/prometheus@$v" \
    "github.com/prometheus/prometheus/cmd/promtool@$v" >&2
  local p=github.com/prometheus/common/version
  local ldf="-X $p.Version=$rel -X $p.Revision=$v -X $p.Branch=HEAD -X $p.BuildUser=flaskops"
  ldf+=" -X $p.BuildDate=19700101-00:00:00"
  log "building prometheus, promtool $rel"
  # remove_all_sd: only file and http discovery (what the tests and demo use); it halves
  # the build by leaving out every cloud provider's SDK.
  CGO_ENABLED=0 go build -trimpath -tags remove_all_sd,netgo -ldflags "-s -w $ldf" -o "$1/" \
    github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool
}

build_otelcol-gateway() { # <out>: a collector with exactly the gateway config's components
  # (charts/flaskops-observability/files/collector), so `validate` accepts the config
  # users deploy and rejects what a full distribution would reject too.
  local v=$OTELCOL_VERSION cv=$OTELCOL_CONFMAP_VERSION cc=$OTELCOL_CONTRIB_VERSION
  local k8s=$OTELCOL_K8SATTRIBUTES_VERSION
  local core=go.opentelemetry.io/collector contrib=github.com/open-telemetry/opentelemetry-collector-contrib
  wrapper otelcol-gateway
  GOBIN="$PWD/.bin" CGO_ENABLED=0 go install "$core/cmd/builder@$v"
  cat > manifest.yaml <<YAML
dist:
  name: otelcol-gateway
  description: flaskops collector gateway (validates and runs its config)
  output_path: $PWD/dist
  version: ${v#v}
receivers:
  - gomod: $core/receiver/otlpreceiver $v
processors:
  - gomod: $core/processor/memorylimiterprocessor $v
  - gomod: $contrib/processor/k8sattributesprocessor $k8s
exporters:
  - gomod: $core/exporter/otlpexporter $v
  - gomod: $core/exporter/otlphttpexporter $v
connectors:
  - gomod: $contrib/connector/spanmetricsconnector $cc
providers:
  - gomod: $core/confmap/provider/fileprovider $cv
  - gomod: $core/confmap/provider/envprovider $cv
YAML
  # Same order as build_otelcol: pin, generate, resolve only what main imports.
  # k8sattributesprocessor left the v0 line after v0.160.0; v1.2.0 is the newest that
  # resolves through the proxy alongside core $v.
  go get "$core/otelcol@$v" "$core/receiver/otlpreceiver@$v" "$core/processor/memorylimiterprocessor@$v" \
    "$contrib/processor/k8sattributesprocessor@$k8s" "$core/exporter/otlpexporter@$v" \
    "$core/exporter/otlphttpexporter@$v" "$contrib/connector/spanmetricsconnector@$cc" \
    "$core/confmap/provider/fileprovider@$cv" "$core/confmap/provider/envprovider@$cv" >&2
  ./.bin/builder --config=manifest.yaml --skip-compilation --skip-get-modules >&2
  go get ./dist >&2
  log "building otelcol-gateway $v"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1/otelcol-gateway" ./dist
}

build_jaeger() { # <out>: Jaeger v2 all-in-one; its go.mod replaces sarama, so a wrapper
  wrapper jaeger
  go mod edit -replace=github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0
  go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
  local p=github.com/jaegertracing/jaeger/internal/version
  log "building jaeger $JAEGER_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $p.latestVersion=$JAEGER_VERSION" \
    -o "$1/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger
}

build_kustomize-controller() { # <out>: Flux's kustomize-controller. Its go.mod replaces
  # its ./api and pins go-digest, kustomize and yaml.v3 with replace lines (go install
  # refuses those), so a wrapper module carries the same replaces.
  wrapper kustomize-controller
  go mod edit \
    -replace=github.com/opencontainers/go-digest=github.com/opencontainers/go-digest@v1.0.1-0.20220411205349-bde1400a84be \
    -replace=sigs.k8s.io/kustomize/api=sigs.k8s.io/kustomize/api@v0.21.1 \
    -replace=sigs.k8s.io/kustomize/kyaml=sigs.k8s.io/kustomize/kyaml@v0.21.1 \
    -replace=gopkg.in/yaml.v3=gopkg.in/yaml.v3@v3.0.1
  go get -tool "github.com/fluxcd/kustomize-controller@$FLUX_KUSTOMIZE_CONTROLLER_VERSION" >&2
  log "building kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER_VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1/kustomize-controller" \
    github.com/fluxcd/kustomize-controller
}

ensure() { # ensure <tool> <version>: build into the store once, then link into bin
  local out="$cache/store/$1-$2"
  if [ ! -f "$out/.complete" ]; then
    rm -rf "$out"; mkdir -p "$out"
    ( "build_$1" "$out" )
    rm -rf "$cache/src/$1"
    touch "$out/.complete"
  fi
  for f in "$out"/*; do ln -sfn "$f" "$bin/$(basename "$f")"; done
}

build() {
  export GOFLAGS=-mod=mod
  mkdir -p "$bin"
  ensure kubernetes "$KUBERNETES_VERSION"
  ensure etcd "$ETCD_VERSION"
  ensure kwok "$KWOK_VERSION"
  ensure helm "$HELM_VERSION"
  ensure kind "$KIND_VERSION"
  ensure otelcol "$OTELCOL_VERSION"
  ensure helm-docs "$HELM_DOCS_VERSION"
  ensure vegeta "$VEGETA_VERSION"
  ensure prometheus "$PROMETHEUS_VERSION"
  ensure otelcol-gateway "$OTELCOL_VERSION-$OTELCOL_K8SATTRIBUTES_VERSION-$OTELCOL_CONTRIB_VERSION"
  ensure jaeger "$JAEGER_VERSION"
  ensure actionlint "$ACTIONLINT_VERSION"
  ensure registry "$DISTRIBUTION_VERSION"
  ensure kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION"
  log "tools ready in $bin"
}

case "${1:-build}" in
  bindir) echo "$bin" ;;
  build) build ;;
  *) echo "usage: $0 [build|bindir]" >&2; exit 2 ;;
esac
