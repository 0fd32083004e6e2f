# flaskops: the two commands are `make demo` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else the pinned one this Makefile installs into ~/.local/bin (target below).
UV_VERSION := 0.13.9
UV ?= $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
# Most cluster suites wait on rollouts rather than compute: 4 workers fit 2 cores.
PYTEST_WORKERS ?= 4
TOOLS_BIN := $(shell bash hack/tools.sh bindir)
# uv's own directory too: some tests run `uv` by name.
export PATH := $(TOOLS_BIN):$(patsubst %/,%,$(dir $(UV))):$(PATH)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## build the pinned helm, kubectl, kube-*, etcd, kwok(ctl), kind into ~/.cache/flaskops
	@bash hack/tools.sh build
	@bash hack/crds.sh >/dev/null
	@bash hack/crds.sh gitops >/dev/null

.PHONY: env
env: ## print `export PATH=...` for the pinned tools (eval "$(make -s env)")
	@echo "export PATH=$(TOOLS_BIN):\$$PATH"

$(HOME)/.local/bin/uv: # a Python without pip gets it from its own ensurepip first
	python3 -m pip --version >/dev/null 2>&1 || python3 -m ensurepip --user --default-pip
	python3 -m pip install --user --quiet --disable-pip-version-check --break-system-packages --ignore-installed "uv==$(UV_VERSION)"

.PHONY: venv
venv: $(filter $(HOME)/.local/bin/uv,$(UV)) ## install the locked Python environment into .venv
	@$(UV) sync --frozen --all-extras --quiet

.PHONY: cluster-up
cluster-up: ## start the local control plane; last line is `export KUBECONFIG=...`
	@bash hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## delete the local control plane
	@bash hack/cluster.sh down

.PHONY: demo
demo: tools venv chart-deps ## canary demo on the local control plane (no container engine); KIND=1: on kind (needs Docker/Podman)
ifeq ($(KIND),1)
	@bash hack/kind-demo.sh $(if $(DOWN),down)
else
	@$(UV) run --frozen python hack/demo.py
endif

# Charts with file:// dependencies; the packaged charts/*/charts/*.tgz are built, never committed.
CHARTS_WITH_DEPS := charts/flask-service charts/flask-lib-test

.PHONY: chart-deps
chart-deps: ## build the charts' file://../flask-lib dependency (helm dependency build)
	@for c in $(CHARTS_WITH_DEPS); do helm dependency build "$$c" >/dev/null || exit 1; done

.PHONY: chart-docs
chart-docs: ## regenerate schema descriptions, constraints table and chart README (helm-docs)
	$(UV) run --frozen python hack/chart_docs.py charts/flask-service
	helm-docs --chart-search-root charts --chart-to-generate charts/flask-service --sort-values-order file
	helm-docs --chart-search-root charts --chart-to-generate charts/flaskops-operator --sort-values-order file
	helm-docs --chart-search-root charts --chart-to-generate charts/flaskops-observability --sort-values-order file

.PHONY: lint-charts
lint-charts: chart-deps ## helm lint --strict for every chart (the library through its test chart)
	helm lint --strict charts/flask-lib charts/flask-service charts/flaskops-operator
	helm lint --strict charts/flaskops-observability
	helm lint --strict charts/flask-lib-test -f charts/flask-service/values.yaml -f charts/flask-lib-test/values.yaml

.PHONY: lint
lint: venv lint-charts ## ruff, mypy, helm lint --strict
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

.PHONY: test
test: tools venv chart-deps lint ## everything: lint, unit, chart, cluster and end-to-end suites
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: venv chart-deps ## only the tests that need no cluster
	$(UV) run --frozen pytest -m "not cluster" $(PYTEST_ARGS)

CRD_FILE := charts/flaskops-operator/files/flaskservices.flaskops.io.yaml

.PHONY: generate
generate: venv ## regenerate the FlaskService CRD from the chart's values.schema.json
	$(UV) run --frozen python -m flaskops.crd charts/flask-service/values.schema.json > $(CRD_FILE)

.PHONY: bench-instrumentation
bench-instrumentation: tools venv ## bare vs instrumented services under wrk and vegeta (~17 min); writes docs/benchmarks.md
	$(UV) run --frozen python hack/bench_instrumentation.py $(BENCH_ARGS)

.PHONY: profile-instrumentation
profile-instrumentation: tools venv ## where instrument()'s CPU goes, parts toggled in one process (SERVICE=orders|catalog)
	$(UV) run --frozen python hack/profile_instrumentation.py $(or $(SERVICE),orders) $(PROFILE_ARGS)

.PHONY: service-requirements
service-requirements: venv ## re-pin examples/services/requirements.txt to the versions in uv.lock
	@bash hack/service_requirements.sh

.PHONY: trace-picture
trace-picture: tools venv ## redraw docs/observability/trace-orders-catalog.png from a real trace in Jaeger
	$(UV) run --frozen python hack/trace_picture.py

.PHONY: dashboards
dashboards: venv ## regenerate dashboards/*.json from their Python sources (grafana-foundation-sdk)
	$(UV) run --frozen python -m dashboards.build

.PHONY: observability-pictures
observability-pictures: tools venv ## redraw docs/observability/*.png from a real canary run (the live dashboard test)
	FLASKOPS_PICTURES_DIR=$(CURDIR)/docs/observability $(UV) run --frozen pytest tests/dashboards/test_live_queries.py -n 0 -q

# Charts published as OCI artifacts: add a chart here and both targets pick it up.
PUBLISHED_CHARTS := charts/flask-lib charts/flask-service charts/flaskops-operator $(wildcard charts/flaskops-observability)
CHARTS_DIST ?= dist/charts
# CHARTS_VERSION overrides every chart's version (e.g. a release tag); empty = Chart.yaml's.
CHARTS_VERSION ?=
CHARTS_REGISTRY ?=
HELM_PUSH_FLAGS ?=
# Sign the packages (provenance files, pushed with them): a PGP key name and its secret keyring.
CHARTS_SIGN_KEY ?=
CHARTS_KEYRING ?=

.PHONY: charts-package
charts-package: chart-deps ## lint, render, package (and with CHARTS_SIGN_KEY sign) the published charts into dist/charts
	@rm -rf $(CHARTS_DIST)
	@for c in $(PUBLISHED_CHARTS); do \
	  bash ci/scripts/chart.sh --destination $(CHARTS_DIST) $(if $(CHARTS_VERSION),--version $(CHARTS_VERSION)) \
	    $(if $(CHARTS_SIGN_KEY),--sign "$(CHARTS_SIGN_KEY)" --keyring "$(CHARTS_KEYRING)") $$c || exit 1; \
	done

.PHONY: charts-push
charts-push: charts-package ## push them: CHARTS_REGISTRY=oci://host/path [HELM_PUSH_FLAGS=--plain-http]
	@test -n "$(CHARTS_REGISTRY)" || { echo "charts-push: set CHARTS_REGISTRY=oci://<registry>/<path>" >&2; exit 2; }
	@for p in $(CHARTS_DIST)/*.tgz; do helm push $(HELM_PUSH_FLAGS) "$$p" $(CHARTS_REGISTRY) || exit 1; done

.PHONY: gitops-fixtures
gitops-fixtures: tools venv chart-deps ## re-export the FlaskService fixtures of the Argo CD / kstatus health checks from a real operator run
	FLASKOPS_UPDATE_FIXTURES=1 $(UV) run --frozen pytest tests/operator/cluster/test_gitops_states.py -n 0 $(PYTEST_ARGS)

.PHONY: bench-operator
bench-operator: tools venv chart-deps ## N = 100, 300, 1000 FlaskServices vs helm template + apply (~25 min); writes docs/benchmarks.md
	$(UV) run --frozen python hack/bench_operator.py $(BENCH_ARGS)

.PHONY: bench-workers
bench-workers: venv ## sync vs gthread vs gevent vs uvicorn+a2wsgi on the reference services (~2 min); writes docs/benchmarks.md
	$(UV) run --frozen python hack/bench_workers.py $(BENCH_ARGS)

.PHONY: bench-caching
bench-caching: venv ## catalog reads: SQLite, 5 ms store, Redis cache, 304 revalidation under wrk (~4 min); writes docs/benchmarks.md
	$(UV) run --frozen python hack/bench_caching.py $(BENCH_ARGS)
