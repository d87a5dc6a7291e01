# mcfn — two commands on a fresh machine with Python 3.11 and make:
#   make demo   create/refresh .venv, install, simulate the default scenario under every routing policy
#   make test   create/refresh .venv, lint, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := dev
STAMP := $(VENV)/.installed
OUT ?= results

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/mcfn run --out $(OUT)/run --jobs 2
	@echo "Seed figures: '$(BIN)/mcfn reproduce fig3 --out $(OUT)' and 'fig4' (see README)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
