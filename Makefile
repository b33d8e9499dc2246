# Quick start:  make demo   (install, then serve the demo market on SQLite)
#               make test   (install with the test extras, then lint, type-check and run the tests)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The suite runs in one process per core (at most 4), a test file per process; TEST_PARALLEL= runs it in one process.
TEST_PARALLEL ?= --numprocesses=auto --maxprocesses=4 --dist=loadfile

.PHONY: install install-dev demo serve test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

demo: install
	$(BIN)/ftr demo

serve: install
	$(BIN)/ftr serve

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy network feasibility auction settlement simulation app api_schemas market_calendar market_terms

test: lint typecheck
	$(BIN)/pytest -q $(TEST_PARALLEL)

bench: install-dev
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
