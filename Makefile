# lupusstats: the two commands are `make report` and `make test`; `make lab` is the way to work
# interactively and `make docs` builds the documentation site.
# All bootstrap .venv from the system python (3.11+) the first time and
# reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
PYTEST_ARGS ?=
PORT ?= 8888
LAB_ARGS ?=
DOCS_OUT ?= build/docs
# JupyterLab refuses to run as root unless told; root is the usual user in a container or on CI.
LAB_ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: all report test fuzz lab docs lint format bench figures clean venv

all: test

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("lupusstats needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[notebooks,test,docs,excel]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## make report: execute every notebook headless, write reports/<notebook>.html and reports/index.html
## Optional: make report PRESET=refractory SEED=3 N_PER_ARM=50 sets those names in each notebook's
## `parameters` cell, only in notebooks that define them.
report: $(STAMP)
	$(BIN)/python -m lupusstats report --out reports $(if $(PRESET),--preset '$(PRESET)') $(if $(SEED),--seed '$(SEED)') $(if $(N_PER_ARM),--n-per-arm '$(N_PER_ARM)')

## make lab: JupyterLab on notebooks/ with the project's kernel (the python3 kernel of .venv, ahead of
## any user-wide one; figures inline, not the Agg backend of the other targets); prints the URL with
## its token and serves until Ctrl-C.
## make lab PORT=8890 serves on another port (exactly that one); LAB_ARGS=--no-browser passes options on.
lab: $(STAMP)
	env -u MPLBACKEND JUPYTER_PREFER_ENV_PATH=1 $(BIN)/python -m jupyterlab --ServerApp.root_dir=notebooks \
		--ServerApp.port=$(PORT) --ServerApp.port_retries=0 $(LAB_ALLOW_ROOT) $(LAB_ARGS)

## make docs: the documentation site in build/docs/html (Sphinx: getting started, the user guide by family,
## the API reference of every public name, the data dictionary, the notebooks rendered from their
## committed outputs, never executed). Offline; every page is read afresh (-E) and a warning is an error
## (tests/test_docs.py builds it too).
docs: $(STAMP)
	$(BIN)/python -m sphinx -E -W --keep-going -j auto -q -b html -d $(DOCS_OUT)/doctrees docs $(DOCS_OUT)/html
	@echo "docs: $(DOCS_OUT)/html/index.html"

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
## (--dist loadfile keeps each notebook's cells on one worker, in order; tests/conftest.py deals the
## long independent tests of test_notebooks.py and the fuzz files out one by one)
test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile --hypothesis-profile=ci --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg tests lupusstats notebooks $(PYTEST_ARGS)

## make fuzz: the fuzz suite of every public function (tests/fuzz_registry.py) with the long `fuzz`
## hypothesis profile (up to 3000 examples per function, random; make test runs the short `ci` one)
fuzz: $(STAMP)
	$(BIN)/python -m pytest -n auto --hypothesis-profile=fuzz tests/test_fuzz_1.py tests/test_fuzz_2.py $(PYTEST_ARGS)

## make figures: copy each notebook's main figure to docs/figures/ (used by the README)
figures: $(STAMP)
	$(BIN)/python docs/make_figures.py
	$(BIN)/python docs/sync_readme.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf reports .pytest_cache build *.egg-info docs/api
