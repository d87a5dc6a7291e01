# mcfn — two commands on a fresh machine with Python 3.11 and make:
#   make demo   create/refresh .venv, install, simulate the default scenario under every routing policy on several
#               seeds, compare the seed's joint allocation against the uplink sharing rules on the same arrivals,
#               then reproduce the seed's Fig. 3 and Fig. 4
#   make test   create/refresh .venv, lint, build the documentation site (warnings are errors), run the whole test
#               suite
#   make docs   the documentation site alone, into site/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := dev,torch,ray,learn,fl
STAMP := $(VENV)/.installed
# Modules compiled by setup.py (a .pxd beside the .py, or a .pyx): editing any of them rebuilds them.
COMPILED := $(shell find src/mcfn -name '*.pxd')
COMPILED_SOURCES := $(COMPILED) $(COMPILED:.pxd=.py) $(shell find src/mcfn -name '*.pyx')
OUT ?= results
# make demo: every policy on 5 seeds of 120 simulated seconds (the tasks of one 600 s run), so the table's means
# come with 95 % confidence intervals and the ranking's paired gaps are resolved; then two policies under each
# uplink (the seed's allocation and three sharing rules); then where a phone's task runs (its NPU, a helper over
# D2D, the edge, the cloud: examples/sim_terminals.yaml). About 60 s, 82 s, 15 s and 7 s on two shared cores.
DEMO_SEEDS ?= 5
DEMO_DURATION_S ?= 120

.PHONY: demo test lint docs install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py $(COMPILED_SOURCES) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/mcfn run --out $(OUT)/run --force --seeds $(DEMO_SEEDS) --duration-s $(DEMO_DURATION_S) --jobs 2
	$(BIN)/mcfn run --out $(OUT)/uplinks --force --policy utility-aware --policy compute-aware --uplink joint-allocation \
		--uplink equal-bandwidth --uplink equal-rate --uplink min-total-time \
		--seeds $(DEMO_SEEDS) --duration-s $(DEMO_DURATION_S) --jobs 2
	$(BIN)/mcfn run examples/sim_terminals.yaml --out $(OUT)/terminals --force --policy terminal-local \
		--policy terminal-d2d --policy nearest-edge --policy cloud-only --policy utility-aware --seeds 2 --jobs 2
	$(BIN)/mcfn reproduce fig3 --out $(OUT) --force
	$(BIN)/mcfn reproduce fig4 --out $(OUT) --force
	@echo "Simulation: $(OUT)/run/ (summary.json, tasks.parquet, *.png); uplinks compared: $(OUT)/uplinks/"
	@echo "Local, D2D, edge and cloud execution (latency, accuracy, energy): $(OUT)/terminals/"
	@echo "Seed figures: $(OUT)/fig3.png $(OUT)/fig4.png (tables: $(OUT)/fig3.csv $(OUT)/fig4.csv)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The site's pages, the CLI reference (from the commands) and the API reference (from the docstrings); --strict
# makes every warning (a broken link, a docstring that cannot be rendered) an error.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint docs
	MCFN_REQUIRE_COMPILED=1 $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache build site
	find src/mcfn \( -name '*.so' -o -name '*.c' \) -delete
