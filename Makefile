# flaskops: the two commands are `make demo` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= uv
PYTEST_WORKERS ?= 2
TOOLS_BIN := $(shell bash hack/tools.sh bindir)
export PATH := $(TOOLS_BIN):$(PATH)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## build the pinned helm, kubectl, kube-*, etcd, kwok(ctl), kind into ~/.cache/flaskops
	@bash hack/tools.sh build
	@bash hack/crds.sh >/dev/null

.PHONY: env
env: ## print `export PATH=...` for the pinned tools (eval "$(make -s env)")
	@echo "export PATH=$(TOOLS_BIN):\$$PATH"

.PHONY: venv
venv: ## install the locked Python environment into .venv
	@$(UV) sync --frozen --all-extras --quiet

.PHONY: cluster-up
cluster-up: ## start the local control plane; last line is `export KUBECONFIG=...`
	@bash hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## delete the local control plane
	@bash hack/cluster.sh down

.PHONY: demo
demo: tools venv chart-deps ## canary demo on the local control plane (no container engine)
	@$(UV) run --frozen python hack/demo.py

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

.PHONY: lint-charts
lint-charts: chart-deps ## helm lint --strict for every chart (the library through its test chart)
	helm lint --strict charts/flask-lib charts/flask-service charts/flaskops-operator
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

.PHONY: bench-caching
bench-caching: venv ## catalog reads: SQLite, 5 ms store, Redis cache, 304 revalidation under wrk (~4 min); writes docs/benchmarks.md
	$(UV) run --frozen python hack/bench_caching.py $(BENCH_ARGS)
