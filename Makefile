# The two commands of the README:
#   make demo   – set everything up, then run the main job on the embedded demo corpus
#   make test   – set everything up (including the local PostgreSQL and Chromium used by tests), then lint, type-check and test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup services lint typecheck pytest clean

demo: setup
	$(BIN)/motifs demo

test: setup services lint typecheck pytest

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 est requis")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]"
	touch $(STAMP)

services:
	./scripts/test-services

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	. ./scripts/test-env && $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) motifs-data .mypy_cache .ruff_cache .pytest_cache
