# Tessera: `make run` starts the service, `make test` proves it. `make help` lists the rest.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

HOST ?= 127.0.0.1
PORT ?= 8000
APP_ENV ?= dev
DATABASE_URL ?= sqlite:///./var/tessera.db
export HOST PORT APP_ENV DATABASE_URL

.PHONY: help
help: ## Show this help
	@awk -v host="$(HOST)" -v port="$(PORT)" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / { \
		text = $$2; gsub(/\$$\(HOST\)/, host, text); gsub(/\$$\(PORT\)/, port, text); \
		printf "  \033[36m%-16s\033[0m %s\n", $$1, text}' $(MAKEFILE_LIST)

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/tessera: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	@touch $(BIN)/tessera

.PHONY: install
install: $(BIN)/tessera ## Install Python dependencies (locked) and the `tessera` command into .venv/
	@mkdir -p var

.PHONY: system-deps
system-deps: ## Install what the tests need from Debian (PostgreSQL, Chromium) when missing
	@scripts/ensure-system-deps.sh

.PHONY: web
web: ## Build the web app into web/dist (needs Node and npm)
	@scripts/build-web.sh

.PHONY: web-check
web-check: install web ## Type-check, lint and unit-test the web app; fail when its API types are stale
	@if command -v npm >/dev/null 2>&1 && [ -f web/package.json ]; then \
		scripts/api-types.sh --check && cd web && npm run --silent check; \
	else echo "npm is not installed; skipping the web app's checks"; fi

.PHONY: api-types
api-types: install web ## Regenerate web/src/api/schema.ts from the service's OpenAPI document
	@scripts/api-types.sh

.PHONY: migrate
migrate: install ## Bring the database schema up to date
	$(BIN)/tessera migrate

.PHONY: run
run: install web migrate ## Install, migrate and start the service on http://$(HOST):$(PORT)
	exec $(BIN)/tessera serve

.PHONY: run-prod
run-prod: install web ## The scaled layout on one machine (DATABASE_URL=postgresql://...): migrate, the production server, one worker
	exec scripts/run-prod.sh

.PHONY: demo
demo: install migrate ## Load demo data (a firm, staff, customers, cards...) and print the logins
	$(BIN)/tessera demo seed

.PHONY: tour
tour: install ## Run the README's tour (scripts/tour.sh) against the service at http://$(HOST):$(PORT)
	API=http://$(HOST):$(PORT) TESSERA=$(BIN)/tessera scripts/tour.sh

.PHONY: worker
worker: install ## Run a separate background worker process
	exec $(BIN)/tessera worker

.PHONY: lint
lint: install ## ruff (lint and format check) and mypy --strict
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

.PHONY: format
format: install ## Format and auto-fix the code
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

.PHONY: security
security: install ## Supply chain: bandit on src/, pip-audit on uv.lock, npm audit on web/ (each skips when offline)
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive src
	@scripts/audit-python.sh
	@scripts/audit-web.sh

# pytest-xdist: one worker per core; the heavy process-level tests share one of them.
TEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

.PHONY: test
test: install system-deps web web-check lint security ## Everything: lint, types, the whole suite on SQLite and PostgreSQL, coverage
	$(BIN)/coverage erase
	TESSERA_REQUIRE_WEB=1 $(BIN)/pytest $(PYTEST_PARALLEL) --cov --cov-report=term --cov-fail-under=90 -p no:cacheprovider --durations=15
	@echo "make test: all green"

.PHONY: test-fast
test-fast: install ## The suite on SQLite only, without the slow tests
	TESSERA_TEST_BACKENDS=sqlite $(BIN)/pytest $(PYTEST_PARALLEL) -q -m "not slow and not e2e" -p no:cacheprovider

.PHONY: bench
bench: install system-deps ## The service under load next to its references: one table (bench/results/latest.md)
	$(BIN)/python -m bench.load

.PHONY: bench-all
bench-all: bench ## `make bench`, then every other benchmark in bench/ (imports, vault, PKI, webhooks)
	@for script in bench/*.py; do \
		name=$$(basename $$script .py); \
		case $$name in __init__|common|load|ping_app) continue;; esac; \
		echo "== bench/$$name.py"; $(BIN)/python -m bench.$$name || exit 1; \
	done

.PHONY: clean
clean: ## Remove build and test artefacts (keeps ./var)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov web/dist
