# Relhub: `make demo` runs the whole job on the embedded defaults; `make test` runs the tests.
# Both create .venv on first use and install the project with the pinned constraints.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(INSTALLED): pyproject.toml emulators/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt \
		--editable ".[dev,emulators,celery]" --editable ./emulators
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/relhub demo

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(INSTALLED)
	$(BIN)/python benchmarks/bench_sync.py
	$(BIN)/python benchmarks/bench_identity.py
	$(BIN)/python benchmarks/bench_connectors.py

clean:
	rm -rf $(VENV) relhub.db* relhub-demo
