# The commands a newcomer and CI run. `make run` starts Vigie; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint format messages compile-messages bench-ingest bench-queue clean

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

# The pages' catalogs (api/i18n.py): after changing strings, `make messages`, translate what
# is new or fuzzy in api/translations/*/LC_MESSAGES/messages.po, then `make compile-messages`.
# The keywords are also in tests/api/test_catalogs.py.
BABEL_KEYWORDS := -k _l -k _lp:1c,2
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F pyproject.toml $(BABEL_KEYWORDS) --no-location --sort-output \
		--project Vigie -o api/translations/messages.pot .
	$(BIN)/pybabel update -i api/translations/messages.pot -d api/translations --no-wrap \
		--ignore-obsolete
	# Babel writes a placeholder bug address into the header; the project has none.
	sed -i '/^"Report-Msgid-Bugs-To: /d' api/translations/*/LC_MESSAGES/messages.po

compile-messages: $(VENV)/.installed
	$(BIN)/pybabel compile -d api/translations --statistics

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
