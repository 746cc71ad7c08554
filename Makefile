# knotebook: `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-fast lint lab bench vcsim clean

help:
	@echo "make demo   set up .venv, validate, export and try the sample function"
	@echo "make test   set up .venv and run the whole test suite"
	@echo "make test-fast  the tests not marked slow (under a minute)"
	@echo "make lint   ruff (lint and format check) and mypy"
	@echo "make lab    JupyterLab on notebooks/ (localhost)"
	@echo "make bench  performance benchmarks (bench/)"
	@echo "make vcsim  build the vCenter simulator from Debian's govmomi (else: on first use)"
	@echo "make clean  remove .venv, build/ and export/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "knotebook needs Python 3.11+; found " + sys.version.split()[0])'
	@echo "Setting up $(VENV) (first run takes a minute)..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]' 2> $(VENV)/pip.log \
		|| { grep -v 'is ignored' $(VENV)/pip.log; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/knotebook validate notebooks/vm_created.ipynb
	$(BIN)/knotebook export notebooks/vm_created.ipynb
	$(BIN)/knotebook try export/vm-created

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

LINTED := src tests bench tools
lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

bench: setup
	@command -v wrk >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
	  echo "Installing wrk (the HTTP load generator) with apt-get..."; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }; \
	  } >/tmp/knotebook-apt.log 2>&1 || echo "apt-get could not install wrk (see /tmp/knotebook-apt.log)"; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

vcsim: setup
	$(BIN)/knotebook vcsim --build

lab: setup
	$(BIN)/knotebook lab

clean:
	rm -rf $(VENV) build export/*/
