# The commands a newcomer and CI run. `make run` starts Vigie; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint format bench-ingest bench-queue clean

run: $(VENV)/.installed
	$(BIN)/vigie run

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-ingest: $(VENV)/.installed
	$(BIN)/python bench/ingest.py

bench-queue: $(VENV)/.installed
	$(BIN)/python bench/review_queue.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,transformers]'
	touch $@

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .ruff_cache
