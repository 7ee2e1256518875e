# IS territorial collapse briefing — build graph.
#
#   make report   set up everything, run the notebooks, write reports/briefing.{html,pdf}
#   make test     set up everything, run pytest and nbval (strict) over the notebooks
#
# The graph follows real files: requirements → .venv; data + package + notebook → executed
# notebook (+ figures) → reports. A no-op `make report` does nothing. Parameters:
#   make report DATA_DIR=data AS_OF=2017-11-05 REPORT_DIR=reports
# Every recipe calls .venv/bin/python directly (no `source activate`: each line is a new shell).

SHELL       := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
# Notebooks are independent: run two at a time (the machine has two cores), lines kept whole.
# Not for `make lab`: output sync would hold JupyterLab's URL and token until it exits.
ifeq ($(filter lab,$(MAKECMDGOALS)),)
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
# A run into another REPORT_DIR keeps its figures and executed notebooks beside it, so it can
# never overwrite the default build's files.
ifeq ($(REPORT_DIR),reports)
FIGURES_DIR ?= figures
BUILD_DIR   ?= build
else
FIGURES_DIR ?= $(REPORT_DIR)/figures
BUILD_DIR   ?= $(REPORT_DIR)/build
endif

NOTEBOOKS   := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED    := $(patsubst notebooks/%,$(BUILD_DIR)/executed/%,$(NOTEBOOKS))
PACKAGE     := $(sort $(wildcard briefing/*.py briefing/templates/* briefing/vendor/*))
DATA_FILES  := $(sort $(wildcard $(DATA_DIR)/*.csv $(DATA_DIR)/*.json $(DATA_DIR)/geocoded/*.csv $(DATA_DIR)/basemap/*.geojson))
SEED_FILES  := $(sort $(wildcard seeds/*.txt))
PARAMS      := $(BUILD_DIR)/params.json

# Build parameters live in a file that is rewritten only when a value changes, so the graph
# re-runs the notebooks exactly when DATA_DIR / AS_OF / FIGURES_DIR change. The list of data
# files is kept the same way, so deleting or adding a file re-runs validation (a timestamp
# cannot show a deletion).
DATA_LIST   := $(BUILD_DIR)/data-files.txt
update_if_changed = { cmp -s $(1).new $(1) && rm -f $(1).new || mv -f $(1).new $(1); }
ifneq ($(filter report notebooks bench,$(or $(MAKECMDGOALS),help)),)
$(shell mkdir -p $(BUILD_DIR) && printf '{"data_dir": "%s", "as_of": "%s", "figures_dir": "%s"}\n' \
  '$(DATA_DIR)' '$(AS_OF)' '$(FIGURES_DIR)' > $(PARAMS).new && $(call update_if_changed,$(PARAMS)) && \
  printf '%s\n' $(DATA_FILES) > $(DATA_LIST).new && $(call update_if_changed,$(DATA_LIST)))
endif

.PHONY: help setup setup-lab setup-test report notebooks validate geocode geocode-check test refresh lab bench clean lock

# Help text: the '## ' comment of each target, aligned to the longest target name. Keep make
# variables out of these comments: grep reads them as written.
help: ## List the targets
	@echo "IS territorial collapse briefing. Targets:"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "Parameters: DATA_DIR=$(DATA_DIR) AS_OF=$(or $(AS_OF),<latest in data>) REPORT_DIR=$(REPORT_DIR) PORT=$(PORT)"

setup: $(SETUP) ## Create .venv and install the 'report' group (make lab / make test add theirs)
setup-lab: $(SETUP_LAB)
setup-test: $(SETUP_TEST)

# Install one group from the lock (uv when it can be had, else pip; prints its progress).
$(VENV)/.setup-%: requirements/%.txt scripts/setup.sh scripts/uv.sh
	@PYTHON=$(PYTHON) scripts/setup.sh $*
	@touch $@

report: $(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf ## Run the notebooks and write the HTML and PDF briefing

notebooks: $(EXECUTED) ## Execute the notebooks with papermill (into build/executed, or REPORT_DIR/build/executed)

# Data are validated once per change, before any notebook runs: a data error stops the build
# with one line per problem and leaves the last good report untouched.
$(BUILD_DIR)/validated.stamp: $(SETUP) $(DATA_FILES) $(DATA_LIST) $(SEED_FILES) $(PACKAGE) $(PARAMS)
	@$(PY) -m briefing build validate --params $(PARAMS)
	@touch $@

# The data each notebook reads (the TABLES its module passes to the loader; tests/test_build.py
# keeps the two in step), so changing one CSV re-runs only the notebooks that read it.
# Validation (all tables) runs first but, being order-only, does not itself trigger re-runs.
NB_DATA_01_overview        := sources places actors events control claims evidence
NB_DATA_02_chronology      := sources places actors events control evidence
NB_DATA_03_territory       := sources places actors events control evidence geocoded basemap
NB_DATA_04_figures         := sources places events claims evidence
NB_DATA_05_sources_method  := sources places actors events control claims evidence geocoded
# (wildcard: a missing file is the validator's to report, in one line, not make's)
data_files = $(wildcard $(DATA_DIR)/datapackage.json) $(foreach t,$(1),$(if $(filter geocoded,$(t)),$(wildcard $(DATA_DIR)/geocoded/*),$(if $(filter basemap,$(t)),$(wildcard $(DATA_DIR)/basemap/*.geojson),$(wildcard $(DATA_DIR)/$(t).csv))))

.SECONDEXPANSION:
$(BUILD_DIR)/executed/%.ipynb: notebooks/%.ipynb $$(call data_files,$$(NB_DATA_$$*)) $(PACKAGE) $(PARAMS) | $(BUILD_DIR)/validated.stamp
	@$(PY) -m briefing build notebook $< --params $(PARAMS) --out $@

# Prerequisites longest-first (the territory notebook), so the two parallel jobs end together.
LONGEST     := $(filter %/03_territory.ipynb,$(EXECUTED))
$(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf &: $(LONGEST) $(filter-out $(LONGEST),$(EXECUTED)) $(PACKAGE)
	@$(PY) -m briefing build report --params $(PARAMS) --html $(REPORT_DIR)/briefing.html --pdf $(REPORT_DIR)/briefing.pdf $(EXECUTED)

validate: $(SETUP) ## Validate the CSVs in DATA_DIR (one line per problem)
	@$(PY) -m briefing validate --data-dir $(DATA_DIR)

geocode: $(SETUP_TEST) ## Rebuild the geocoding lock data/geocoded/places.csv (offline; written only if it changes)
	@$(PY) -m briefing geocode --data-dir $(DATA_DIR)

geocode-check: $(SETUP_TEST) ## Check the geocoding lock is current (exit 2 if stale); writes nothing
	@$(PY) -m briefing geocode --check --data-dir $(DATA_DIR)

# Two pytest workers (the machine has two cores; TEST_WORKERS=0 runs in one process). The
# tests that need a full build share one per session (tests/conftest.py).
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
lab: $(SETUP_LAB) ## JupyterLab on the project with the briefing kernel (PORT=8888); prints the URL at once
	@echo "[lab] JupyterLab on port $(PORT), rooted at $(CURDIR); open the URL below (Ctrl-C stops it)"
	@exec $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) --port=$(PORT) --ServerApp.port_retries=0 \
	  $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root) \
	  --ServerApp.answer_yes=True --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --ServerApp.default_url=/lab/tree/notebooks/01_overview.ipynb $(LAB_ARGS)

bench: $(SETUP_TEST) ## Set-up, test and build figures against their budgets, and the plain nbconvert route
	@$(PY) -m briefing build bench

lock: ## Re-pin requirements.txt and the group files requirements/*.txt from requirements.in (needs the registry)
	@PYTHON=$(PYTHON) scripts/lock.sh

clean: ## Remove build outputs (keeps .venv)
	rm -rf build reports figures/*.png figures/*.svg figures/*.csv

# ------------------------------------------------------------------------------------------------
# Bring your own data (ACLED): export, synthetic data, scale benchmark (issue 10). Added as a block;
# nothing above is changed. An ACLED data folder (no datapackage.json, one ACLED-format CSV) has no
# per-table CSVs, so there every notebook depends on the folder's CSV instead. This works because
# the notebooks' prerequisites are secondary-expanded after the whole Makefile has been read.
ifeq ($(wildcard $(DATA_DIR)/datapackage.json),)
data_files = $(wildcard $(DATA_DIR)/*.csv)
endif

SYNTH_EVENTS ?= 10000
SYNTH_SEED   ?= 1

.PHONY: export synth bench-scale

export: $(SETUP) ## Write the curated events in ACLED layout + an HXL copy into REPORT_DIR/export
	@$(PY) -m briefing export --data-dir $(DATA_DIR) --out $(REPORT_DIR)/export

synth: $(SETUP_TEST) ## Write SYNTH_EVENTS synthetic ACLED-format events (SYNTH_SEED) into build/synth/
	@$(PY) -m briefing synth --events $(SYNTH_EVENTS) --seed $(SYNTH_SEED) --out build/synth

bench-scale: $(SETUP_TEST) ## Build from 10k, 100k and 1M synthetic ACLED events: time, peak memory, HTML size
	@$(PY) -m briefing.bench_scale
