# lupusstats: the two commands are `make report` and `make test`.
# Both bootstrap .venv from the system python (3.11+) the first time and
# reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
PYTEST_ARGS ?=
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: all report test lint format bench figures clean venv

all: test

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("lupusstats needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## make report: execute every notebook headless, write reports/<notebook>.html and reports/index.html
## Optional: make report PRESET=refractory SEED=3 N_PER_ARM=50 sets those names in each notebook's
## `parameters` cell, only in notebooks that define them.
report: $(STAMP)
	$(BIN)/python -m lupusstats report --out reports $(if $(PRESET),--preset '$(PRESET)') $(if $(SEED),--seed '$(SEED)') $(if $(N_PER_ARM),--n-per-arm '$(N_PER_ARM)')

## make lint: ruff (lint rules and formatting, check mode) and mypy on the package; part of make test
lint: $(STAMP)
	$(BIN)/ruff check lupusstats tests benchmarks docs
	$(BIN)/ruff format --check lupusstats tests benchmarks docs
	$(BIN)/mypy

## make format: apply ruff's safe fixes and formatting
format: $(STAMP)
	$(BIN)/ruff check --fix lupusstats tests benchmarks docs
	$(BIN)/ruff format lupusstats tests benchmarks docs

## make test: lint, then unit tests, doctests and nbval on every notebook, on all cores
## (--dist loadfile keeps each notebook's cells on one worker, in order)
test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg tests lupusstats notebooks $(PYTEST_ARGS)

## make figures: copy each notebook's main figure to docs/figures/ (used by the README)
figures: $(STAMP)
	$(BIN)/python docs/make_figures.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf reports .pytest_cache build *.egg-info
