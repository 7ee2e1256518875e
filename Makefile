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
MAKEFLAGS   += --jobs=2 --output-sync=line --no-print-directory

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
KERNEL      := briefing
SETUP       := $(VENV)/.setup-done

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
PACKAGE     := $(sort $(wildcard briefing/*.py briefing/adapters/*.py briefing/templates/* briefing/vendor/*))
DATA_FILES  := $(sort $(wildcard $(DATA_DIR)/*.csv $(DATA_DIR)/*.json $(DATA_DIR)/geocoded/*.csv $(DATA_DIR)/basemap/*.geojson))
SEED_FILES  := $(sort $(wildcard seeds/*.txt))
PARAMS      := $(BUILD_DIR)/params.json
FACTS       := $(BUILD_DIR)/facts.json

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

.PHONY: help setup report notebooks validate geocode test refresh lab bench clean lock

help: ## List the targets
	@echo "IS territorial collapse briefing. Targets:"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Parameters: DATA_DIR=$(DATA_DIR) AS_OF=$(or $(AS_OF),<latest in data>) REPORT_DIR=$(REPORT_DIR)"

setup: $(SETUP) ## Create .venv, install pinned dependencies, register the Jupyter kernel

$(SETUP): requirements.txt
	@echo "[setup] creating $(VENV) and installing pinned dependencies (first run only)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Make the package importable from the venv (and so from its kernel) without a build step.
	@$(PY) -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'briefing-project.pth').write_text('$(CURDIR)\n')"
	@$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (briefing)" >/dev/null
	@touch $@

report: $(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf ## Run the notebooks and write the HTML and PDF briefing

notebooks: $(EXECUTED) ## Execute the notebooks with papermill (into $(BUILD_DIR)/executed)

# Data are validated once per change, before any notebook runs: a data error stops the build
# with one line per problem and leaves the last good report untouched.
# The same step writes the header facts the report prints (title, period, as-of, data version)
# into $(FACTS), so the report step never loads the data.
$(BUILD_DIR)/validated.stamp: $(SETUP) $(DATA_FILES) $(DATA_LIST) $(SEED_FILES) $(PACKAGE) $(PARAMS)
	@$(PY) -m briefing build validate --params $(PARAMS) --facts $(FACTS)
	@touch $@

# The data files each notebook reads, so changing one CSV re-runs only the notebooks that read
# it: generated from the code (`python -m briefing build deps`: the TABLES of the views each
# notebook imports, mapped to files by the data folder's adapter) into $(NB_DEPS), which make
# includes (and regenerates, then restarts, when the package, a notebook or the data list change).
# Validation (all tables) runs first but, being order-only, does not itself trigger re-runs.
NB_DEPS     := $(BUILD_DIR)/notebook-data.mk
ifneq ($(filter report notebooks bench,$(or $(MAKECMDGOALS),help)),)
-include $(NB_DEPS)
endif
$(NB_DEPS): $(SETUP) $(NOTEBOOKS) $(PACKAGE) $(DATA_LIST) $(PARAMS)
	@$(PY) -m briefing build deps --params $(PARAMS) $(NOTEBOOKS) > $@.new && mv -f $@.new $@

.SECONDEXPANSION:
$(BUILD_DIR)/executed/%.ipynb: notebooks/%.ipynb $$(NB_DATA_$$*) $(PACKAGE) $(PARAMS) | $(BUILD_DIR)/validated.stamp
	@$(PY) -m briefing build notebook $< --params $(PARAMS) --out $@

# Prerequisites longest-first (the territory notebook), so the two parallel jobs end together.
LONGEST     := $(filter %/03_territory.ipynb,$(EXECUTED))
$(REPORT_DIR)/briefing.html $(REPORT_DIR)/briefing.pdf &: $(LONGEST) $(filter-out $(LONGEST),$(EXECUTED)) $(PACKAGE) $(BUILD_DIR)/validated.stamp
	@$(PY) -m briefing build report --params $(PARAMS) --facts $(FACTS) --html $(REPORT_DIR)/briefing.html --pdf $(REPORT_DIR)/briefing.pdf $(EXECUTED)

validate: $(SETUP) ## Validate the CSVs in DATA_DIR (one line per problem)
	@$(PY) -m briefing validate --data-dir $(DATA_DIR)

geocode: $(SETUP) ## Rebuild the geocoding lock file data/geocoded/places.csv (offline)
	@$(PY) -m briefing geocode --data-dir $(DATA_DIR)

test: $(SETUP) ## Run pytest (package, data, build) and nbval over the notebooks (strict)
	@scripts/system-deps.sh --check
	@$(PY) -m pytest --nbval --nbval-kernel-name $(KERNEL) --nbval-sanitize-with tests/nbval-sanitize.cfg

refresh: $(SETUP) ## Re-execute notebooks/*.ipynb in place (default parameters) so committed outputs are current
	@$(PY) -m briefing build refresh $(NOTEBOOKS)

lab: $(SETUP) ## Open JupyterLab on the notebooks with the project kernel
	@$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: $(SETUP) ## Time each build stage against the floor (imports-only notebooks)
	@$(PY) -m briefing build bench

lock: ## Re-pin requirements.txt from requirements.in (needs the registry)
	@rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install -q -r requirements.in
	@{ sed -n '1,2p' requirements.txt; .lock-venv/bin/pip freeze --exclude-editable; } > requirements.txt.new && mv requirements.txt.new requirements.txt
	@rm -rf .lock-venv && echo "requirements.txt re-pinned; run make setup"

clean: ## Remove build outputs (keeps .venv)
	rm -rf build reports figures/*.png figures/*.svg figures/*.csv

# ------------------------------------------------------------------------------------------------
# Bring your own data (ACLED): export, synthetic data, scale benchmark (issue 10).

SYNTH_EVENTS ?= 10000
SYNTH_SEED   ?= 1

.PHONY: export synth bench-scale

export: $(SETUP) ## Write the curated events in ACLED layout + an HXL copy into REPORT_DIR/export
	@$(PY) -m briefing export --data-dir $(DATA_DIR) --out $(REPORT_DIR)/export

synth: $(SETUP) ## Write SYNTH_EVENTS synthetic ACLED-format events (SYNTH_SEED) into build/synth/
	@$(PY) -m briefing synth --events $(SYNTH_EVENTS) --seed $(SYNTH_SEED) --out build/synth

bench-scale: $(SETUP) ## Build from 10k, 100k and 1M synthetic ACLED events: time, peak memory, HTML size
	@$(PY) -m briefing.bench_scale
