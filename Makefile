# IS territorial collapse briefing — build graph.
#
#   make report   set up everything, run the notebooks, write reports/briefing.{html,pdf}
#   make test     set up everything, run pytest and nbval (strict) over the notebooks
#
# The graph follows real files: requirements → .venv; data + package + notebook → executed
# notebook (+ figures) → reports. A no-op `make report` does nothing. Parameters:
#   make report DATA_DIR=data AS_OF=2017-11-05 REPORT_DIR=reports COMPARE=tests/fixtures/ucdp
# Every recipe calls .venv/bin/python directly (no `source activate`: each line is a new shell).

SHELL       := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# Notebooks are independent: run two at a time (the machine has two cores), lines kept whole.
# Not for `make lab` (output sync would hold its URL and token until Lab exits) nor `make bench`
# (it would hold every figure until the end).
ifeq ($(filter lab bench,$(MAKECMDGOALS)),)
MAKEFLAGS   += --jobs=2 --output-sync=line --no-print-directory
else
MAKEFLAGS   += --output-sync=none --no-print-directory
endif

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
KERNEL      := briefing
# One stamp per dependency group (requirements/<group>.txt): each command installs only what
# it needs. report ⊂ lab ⊂ test.
SETUP       := $(VENV)/.setup-report
SETUP_LAB   := $(VENV)/.setup-lab
SETUP_TEST  := $(VENV)/.setup-test

DATA_DIR    ?= data
AS_OF       ?=
REPORT_DIR  ?= reports
COMPARE     ?=
# Parameters are data, never code. $(value …) takes each as typed, unexpanded (so even
# `$(shell …)` in a value stays text), and `export` hands it to Python in the environment.
# No recipe line below contains a parameter: Python reads BRIEFING_* and checks every value in
# one place (briefing/params.py: build_params), before anything is written.
override DATA_DIR   := $(value DATA_DIR)
override AS_OF      := $(value AS_OF)
override REPORT_DIR := $(value REPORT_DIR)
override COMPARE    := $(value COMPARE)
export BRIEFING_DATA_DIR   := $(DATA_DIR)
export BRIEFING_AS_OF      := $(AS_OF)
export BRIEFING_REPORT_DIR := $(REPORT_DIR)
# `make validate SUPPORTS=1` prints the support table; checked in Python like every parameter
export BRIEFING_SUPPORTS   := $(value SUPPORTS)
# The imprint the briefing prints: publisher line, licence, corrections contact (plain text;
# empty = the defaults in briefing/params.py IMPRINT_DEFAULTS). Only the report step reads them.
PUBLISHER   ?=
LICENCE     ?=
CORRECTIONS ?=
override PUBLISHER   := $(value PUBLISHER)
override LICENCE     := $(value LICENCE)
override CORRECTIONS := $(value CORRECTIONS)
export BRIEFING_PUBLISHER   := $(PUBLISHER)
export BRIEFING_LICENCE     := $(LICENCE)
export BRIEFING_CORRECTIONS := $(CORRECTIONS)
export BRIEFING_COMPARE    := $(COMPARE)

# REPORT_DIR becomes a make target name, and make cannot quote: a value with whitespace or one of
# these characters takes no part in the graph; `make report` then only runs the check, which
# refuses it in one line (the same list is briefing.params.UNSAFE_CHARS; a test keeps them equal).
UNSAFE_CHARS := $$ \# % : ; ' " ` \ * ? [ ] = | & < > ( ) { } ! ~ ^ ,
REPORT_DIR_OK := $(if $(and $(filter 1,$(words $(REPORT_DIR))),$(if $(strip $(foreach c,$(UNSAFE_CHARS),$(findstring $(c),$(REPORT_DIR)))),,ok)),yes)

# A run into another REPORT_DIR keeps its figures and executed notebooks beside it, so it can
# never overwrite the default build's files (the same rule as briefing.params.build_params).
ifeq ($(abspath $(REPORT_DIR)),$(abspath reports))
BUILD_DIR   := build
else
BUILD_DIR   := $(REPORT_DIR)/build
endif

NOTEBOOKS   := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED    := $(patsubst notebooks/%,$(BUILD_DIR)/executed/%,$(NOTEBOOKS))
PACKAGE     := $(sort $(wildcard briefing/*.py briefing/adapters/*.py briefing/templates/* briefing/vendor/*))
SEED_FILES  := $(sort $(wildcard seeds/*.txt))
PARAMS      := $(BUILD_DIR)/params.json
IMPRINT     := $(BUILD_DIR)/imprint.json
NB_DEPS     := $(BUILD_DIR)/notebook-data.mk
# One digest per input (briefing.params.INPUTS), rewritten only when the input changes: make
# tracks the data through these files, so a DATA_DIR may hold any character, and deleting or
# adding a data file is noticed (a timestamp cannot show a deletion).
INPUT_NAMES := datapackage sources places actors events control claims evidence geocoded basemap compare
INPUTS      := $(patsubst %,$(BUILD_DIR)/inputs/%.sha256,$(INPUT_NAMES))

.PHONY: help setup setup-lab setup-test report notebooks validate supports geocode geocode-check test refresh lab bench clean lock

# Help text: the '## ' comment of each target, aligned to the longest target name. Keep make
# variables out of these comments: grep reads them as written.
help: ## List the targets
	@echo "IS territorial collapse briefing. Targets:"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@printf 'Parameters: DATA_DIR=%s AS_OF=%s REPORT_DIR=%s COMPARE=%s PORT=%s\n' "$$BRIEFING_DATA_DIR" "$${BRIEFING_AS_OF:-<latest in data>}" "$$BRIEFING_REPORT_DIR" "$${BRIEFING_COMPARE:-<none>}" "$$BRIEFING_PORT"

setup: $(SETUP) ## Create .venv and install the 'report' group (make lab / make test add theirs)
setup-lab: $(SETUP_LAB)
setup-test: $(SETUP_TEST)

# Install one group from the lock (uv when it can be had, else pip; prints its progress).
$(VENV)/.setup-%: requirements/%.txt scripts/setup.sh scripts/uv.sh
	@PYTHON=$(PYTHON) scripts/setup.sh $*
	@touch $(VENV)/.setup-$*

ifeq ($(REPORT_DIR_OK),yes)
report: $(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf ## Run the notebooks and write the HTML and PDF briefing
	@:  # (the parameter step ran while make read the notebook lists: no "Nothing to be done")

notebooks: $(EXECUTED) ## Execute the notebooks with papermill (into build/executed, or REPORT_DIR/build/executed)

# Precious: a refused parameter (the check exits non-zero) must not make .DELETE_ON_ERROR delete
# the previous build's parameter and digest files (and print a line for each).
.PRECIOUS: $(PARAMS) $(IMPRINT) $(INPUTS) $(NB_DEPS)

# Checked every time (FORCE), rewritten only when a value changes: parameters, input digests, the
# PDF's system libraries, and temporary files of killed builds cleaned up. A bad parameter stops
# here with one line, before anything is written. When that step rewrote the included
# $(NB_DEPS), make restarts (MAKE_RESTARTS is set): the files were checked a moment ago, so the
# restarted make does not run the step a second time.
PARAMS_CHECK := $(if $(MAKE_RESTARTS),,FORCE)
$(PARAMS) $(IMPRINT) $(INPUTS) $(NB_DEPS) &: $(SETUP) $(PARAMS_CHECK)
	@$(PY) -m briefing build params

# Data are validated once per change, before any notebook runs: a data error stops the build
# with one line per problem and leaves the last good report untouched. The same step writes the
# header facts the report prints (title, period, as-of, data version) into the build folder's
# facts.json, so the report step never loads the data.
$(BUILD_DIR)/validated.stamp: $(SETUP) $(INPUTS) $(SEED_FILES) $(PACKAGE) $(PARAMS)
	@$(PY) -m briefing build validate

# The inputs each notebook reads, so changing one CSV re-runs only the notebooks that read it:
# generated from the code (the TABLES of the views each notebook imports; `python -m briefing build
# deps` prints them) into $(NB_DEPS) by the parameter step, after its checks, so nothing is written
# for a refused parameter; make includes the file and restarts when it changed. Each name maps to
# its digest file in the build folder's inputs/.
# Validation (all tables) runs first but, being order-only, does not itself trigger re-runs.
# (not in a dry run, `make -n`: make would run the parameter step to remake the included file)
ifneq ($(filter report notebooks bench,$(or $(MAKECMDGOALS),help)),)
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
-include $(NB_DEPS)
endif
endif
input_files = $(patsubst %,$(BUILD_DIR)/inputs/%.sha256,datapackage $(1))

.SECONDEXPANSION:
$(BUILD_DIR)/executed/%.ipynb: notebooks/%.ipynb $$(call input_files,$$(NB_DATA_$$*)) $(PACKAGE) $(PARAMS) | $(BUILD_DIR)/validated.stamp
	@$(PY) -m briefing build notebook notebooks/$*.ipynb

# Prerequisites longest-first (make starts them in this order, two at a time), so the two
# parallel jobs end together: NB_COST lists the notebooks by their time in `make bench`
# (largest first); a notebook not listed runs after them. The report step publishes the
# staged figures and both reports together.
NB_COST     := 03_territory 02_chronology 04_figures 01_overview 05_sources_method 06_corroboration
BY_COST     := $(foreach n,$(NB_COST),$(filter %/$(n).ipynb,$(EXECUTED)))
$(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf &: $(BY_COST) $(filter-out $(BY_COST),$(EXECUTED)) $(PACKAGE) $(BUILD_DIR)/validated.stamp $(IMPRINT)
	@$(PY) -m briefing build report
else
report notebooks: $(SETUP) ## (REPORT_DIR cannot be a make target: the check says why, in one line)
	@$(PY) -m briefing build params
endif

FORCE:
.PHONY: FORCE

validate: $(SETUP) ## Validate the CSVs in DATA_DIR (one line per problem); SUPPORTS=1 also prints the support table
	@$(PY) -m briefing validate

supports: $(SETUP) ## Validate DATA_DIR and print the field-by-field support table (same as validate SUPPORTS=1)
	@$(PY) -m briefing validate --supports

geocode: $(SETUP_TEST) ## Rebuild the geocoding lock data/geocoded/places.csv (offline; written only if it changes)
	@$(PY) -m briefing geocode

geocode-check: $(SETUP_TEST) ## Check the geocoding lock is current (exit 2 if stale); writes nothing
	@$(PY) -m briefing geocode --check

# Two pytest workers (the machine has two cores; TEST_WORKERS=0 runs in one process); the
# schedule keeps notebooks and build modules whole (tests/xdist_groups.py).
TEST_WORKERS ?= 2
test: $(SETUP_TEST) ## Run pytest (package, data, build, browser) and nbval over the notebooks (strict)
	@scripts/system-deps.sh --check
	@$(PY) -m pytest -n $(TEST_WORKERS) --nbval --nbval-kernel-name $(KERNEL) --nbval-sanitize-with tests/nbval-sanitize.cfg $(PYTEST_ARGS)

refresh: $(SETUP) ## Re-execute notebooks/*.ipynb in place (default parameters) so committed outputs are current
	@$(PY) -m briefing build refresh $(NOTEBOOKS)

# JupyterLab rooted at the project (notebooks/, briefing/, data/, figures/ all reachable), on
# PORT, without a browser when there is no display, stopped by one Ctrl-C (answer_yes skips
# Jupyter's "shut down? y/n" prompt). Output is not synced for this goal (see MAKEFLAGS above),
# so the URL with its token shows at once.
PORT ?= 8888
export BRIEFING_PORT := $(value PORT)
lab: $(SETUP_LAB) ## JupyterLab on the project with the briefing kernel (PORT=8888); prints the URL at once
	@case "$$BRIEFING_PORT" in ''|*[!0-9]*) echo "error: parameter 'PORT': '$$BRIEFING_PORT' is not a port number (e.g. PORT=8890)" >&2; exit 2;; esac
	@echo "[lab] JupyterLab on port $$BRIEFING_PORT, rooted at $(CURDIR); open the URL below (Ctrl-C stops it)"
	@exec $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) --port="$$BRIEFING_PORT" --ServerApp.port_retries=0 \
	  $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root) \
	  --ServerApp.answer_yes=True --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --ServerApp.default_url=/lab/tree/notebooks/01_overview.ipynb

bench: $(SETUP_TEST) ## Set-up, test and build figures against their budgets, and the plain nbconvert route
	@$(PY) -m briefing build bench

lock: ## Re-pin requirements.txt and the group files requirements/*.txt from requirements.in (needs the registry)
	@PYTHON=$(PYTHON) scripts/lock.sh

clean: ## Remove build outputs (keeps .venv)
	rm -rf build reports figures/*.png figures/*.svg figures/*.csv

# ------------------------------------------------------------------------------------------------
# Bring your own data (ACLED): export, synthetic data, scale benchmark (issue 10). An ACLED
# data folder (no datapackage.json) is one input: every digest in build/inputs/ covers all its
# files, so any change re-runs every notebook.

.PHONY: export synth bench-scale

SYNTH_EVENTS ?= 10000
SYNTH_SEED   ?= 1
export BRIEFING_SYNTH_EVENTS := $(value SYNTH_EVENTS)
export BRIEFING_SYNTH_SEED   := $(value SYNTH_SEED)

.PHONY: export synth bench-scale

export: $(SETUP) ## Write the curated events in ACLED layout + an HXL copy into REPORT_DIR/export
	@$(PY) -m briefing export

synth: $(SETUP_TEST) ## Write SYNTH_EVENTS synthetic ACLED-format events (SYNTH_SEED) into build/synth/
	@$(PY) -m briefing synth --out build/synth

bench-scale: $(SETUP_TEST) ## Build from 10k, 100k and 1M synthetic ACLED events: time, peak memory, HTML size
	@$(PY) -m briefing.bench_scale
