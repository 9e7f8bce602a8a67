# Two commands do all the setup on a fresh machine with Python >= 3.11:
#   make solve   - create .venv, install rsoi, solve the bundled default model
#   make test    - create .venv, install rsoi with test extras, run ruff and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: solve test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

solve: $(STAMP)
	$(BIN)/python -m rsoi solve

test: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python scripts/bench.py

docs: $(STAMP)
	$(BIN)/python scripts/make_docs.py

clean:
	rm -rf $(VENV) runs .pytest_cache
