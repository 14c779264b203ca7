# OMS: `make run` starts everything on one machine; `make test` passes the tests.
# Needs only python3 (3.11+) and make: uv and every package come from PyPI, pinned.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
# Debian's chromium: the portal's browser tests drive it (Playwright never downloads one).
CHROMIUM := /usr/bin/chromium
RUN := $(UV) run --frozen --no-sync
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: help install run test lint browser schemas manifests bench reliability clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml contracts/pyproject.toml kit/pyproject.toml dev/pyproject.toml services/*/pyproject.toml portal/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	touch $@

install: $(VENV)/.installed ## Install everything (uv, pinned packages) into .venv

run: install ## Run the whole system: embedded PostgreSQL, broker, every service
	$(RUN) oms up

test: lint $(CHROMIUM) ## Lint, then run the test suite against the real PostgreSQL and broker
	$(RUN) pytest

browser: $(CHROMIUM) ## Install Debian's chromium for the portal's browser tests (when missing)

# Made only when missing: `make test` installs it once, from Debian's packages (as root).
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "the portal's browser tests need Debian's chromium: run 'apt-get install -y chromium' as root"; \
		exit 1; \
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

lint: install ## ruff, mypy and import-linter
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/src kit/src dev/src services/*/src portal/src bench reliability
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
