# trialex — `make run` and `make test` are all a fresh clone needs.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run check test bench fidelity lint install clean e2e-deps accuracy tables-bench mutation bytecode

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH"; exit 2; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q pip==26.3
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Our own modules compiled ahead: pip compiles the packages it installs, but this checkout is installed
# editable, and where PYTHONDONTWRITEBYTECODE is set every process of every run
# would compile them again: ~0.4 s of CPU in each of the main process and the fork server at start-up.
# Python checks each file's stamp, so an edited module is recompiled, never served stale.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q pipeline bench

# The main job. Findings are the product here, not a failure: `make check` is the CI gate on them.
run: bytecode
	$(BIN)/trialex run input/ -o output/ --fail-on never

check: $(STAMP)
	$(BIN)/trialex check output/

# The review queue's browser test drives Debian's chromium (never `playwright install`); the real-PDF
# word check compares with poppler's pdftotext.
e2e-deps:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v pdftotext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }

test: bytecode e2e-deps
	$(BIN)/pytest -n 2 -rs tests

# Every paper of ../shared/corpus against ../shared/gold; exit 1 when a figure fell below its floor.
accuracy: bytecode
	$(BIN)/python -m pipeline.evaluate

$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench bytecode
	$(BIN)/python -m bench

# Reading fidelity against ../shared/fidelity (sentence recall/order, furniture leaked, hyphens).
fidelity: $(STAMP)
	$(BIN)/python -m bench.fidelity -v

# ICDAR 2013 table competition, EU half (../shared/icdar2013-eu/run.py, trialex only): prints the
# figures; exit 1 when adjacency F1 or detection recall fell below tests/floors/tables.json.
tables-bench: $(STAMP)
	$(BIN)/python -m bench.icdar --failures

$(VENV)/.mutation: $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,mutation]'
	touch $@

# Nightly-style, not in CI: mutmut over the core mechanisms, each mutant against the tests that reach
# it; kill rate per module and every survivor in output/mutation/report.md (exit 1 below 85%).
# MUTATION_ARGS='--sample 40' runs a spread of 40 mutants per module.
mutation: $(VENV)/.mutation
	TRIALEX_SHARED=$(abspath ..)/shared $(BIN)/python -m bench.mutation $(MUTATION_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

clean:
	rm -rf $(VENV) output/* .pytest_cache mutants
	touch output/.gitkeep
