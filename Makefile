# OMS: `make run` starts everything on one machine; `make test` passes the tests.
# Needs only python3 (3.11+) and make: uv and every package come from PyPI, pinned.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: help install run test lint schemas manifests bench reliability clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml contracts/pyproject.toml kit/pyproject.toml dev/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	touch $@

install: $(VENV)/.installed ## Install everything (uv, pinned packages) into .venv

run: install ## Run the whole system: embedded PostgreSQL, broker, every service
	$(RUN) oms up

test: lint ## Lint, then run the test suite against the real PostgreSQL and broker
	$(RUN) pytest

lint: install ## ruff, mypy and import-linter
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/src kit/src dev/src services/*/src bench reliability
	$(RUN) lint-imports

schemas: install ## Regenerate the checked-in JSON Schema and AsyncAPI files
	$(RUN) python -m oms_contracts.export

manifests: install ## Regenerate the Kubernetes overlays from services.toml
	$(RUN) python -m oms_dev.deploy

bench: install ## Run the benchmarks (figures against the machine's limits)
	@if [ -d bench ] && ls bench/*.py >/dev/null 2>&1; then $(RUN) python -m bench; \
	else echo "no benchmarks yet"; fi

reliability: install ## Break the running system on purpose; count what was lost, doubled or leaked
	$(RUN) python -m reliability

clean: ## Remove the environment and local state
	rm -rf .venv .uv .oms .pytest_cache .mypy_cache .ruff_cache
