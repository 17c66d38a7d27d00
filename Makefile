# Quick start on a fresh machine with Python 3.11 and make:  make run  &&  make test
# Everything (virtualenv, caches, data) stays inside this folder.

PYTHON      ?= python3.11
UV_VERSION  := 0.13.9
VENV        := .venv
PY          := $(VENV)/bin/python
UV          := .tools/bin/uv

# WORLD=community or WORLD=subscription runs a demo world of another shape, in a data folder
# of its own, with only its mapping (mappings/examples/); the default is the shop.
WORLD ?= shop
WORLD_MAPPING_community    := community_app
WORLD_MAPPING_subscription := subscription_service
ifeq ($(WORLD),shop)
export CHURN_DATA_DIR     ?= $(CURDIR)/data
else
export CHURN_DATA_DIR     ?= $(CURDIR)/data/worlds/$(WORLD)
export CHURN_MAPPING_FILE ?= $(CURDIR)/mappings/examples/$(WORLD_MAPPING_$(WORLD)).yml
endif
export DAGSTER_HOME       := $(CHURN_DATA_DIR)/dagster_home
export MLFLOW_TRACKING_URI := sqlite:///$(CHURN_DATA_DIR)/mlflow.db
export UV_CACHE_DIR       := $(CURDIR)/.cache/uv
export UV_PYTHON_DOWNLOADS := never
export XDG_CACHE_HOME     := $(CURDIR)/.cache
export MPLCONFIGDIR       := $(CURDIR)/.cache/matplotlib
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK       := 1
# dagster dev's DbtProject.prepare_if_dev() runs the `dbt` on PATH: make it this venv's.
export PATH               := $(CURDIR)/$(VENV)/bin:$(PATH)

# dbt's sources: prune target/ (compiled copies of the .sql) and logs/, or every run would parse again.
DBT_FILES := $(shell find dbt_project \( -path dbt_project/target -o -path dbt_project/logs \) -prune \
	-o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print 2>/dev/null)
export DAGSTER_PORT ?= 3000
export MLFLOW_PORT  ?= 5000

.PHONY: run test test-spark test-faults setup setup-spark demo-data demo-loop manifest dev mlflow docs clean delete-users

run: setup manifest demo-data
	$(PY) -m pipeline.cli run

# Two workers (the 2-core target): a pipeline run is mostly one busy thread (dbt, Dagster,
# training), so two modules' runs side by side nearly halve the wall time. loadscope keeps a
# module's tests (and its shared pipeline run) on one worker, in collection order (the longest,
# tests/spark, first: tests/conftest.py). The spark extra is installed
# for tests/spark (skipped where there is no Java; .ci/run installs it).
test: setup-spark manifest
	$(PY) -m pytest -n 2 --dist loadscope --no-loadscope-reorder

# The same dbt models on local Spark against DuckDB alone (needs Java 17; README, "Running on Spark").
test-spark: setup-spark manifest
	$(PY) -m pytest tests/spark

# Kill -9 a run at load, dbt, training and publish; the next run must recover to a clean
# run's tables (tests/integration/test_fault_injection.py; about four pipeline runs).
test-faults: setup manifest
	$(PY) -m pytest -m faults tests/integration/test_fault_injection.py

setup: $(VENV)/.synced $(DAGSTER_HOME)/dagster.yaml

# uv from PyPI installs the locked stack in seconds (pip takes minutes).
$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --no-cache-dir uv==$(UV_VERSION)

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI, some shells), Python
# would otherwise compile every imported module again on every run (most of a quiet run's time).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

# The spark extra (dbt-spark, pyspark: about 400 MB) for the tests and for running on Spark,
# not for make run. --inexact: keeps what setup installed.
setup-spark: setup
	$(UV) sync --frozen --inexact --extra spark --compile-bytecode --python $(PYTHON)

# The data folder and the Dagster home are readable by their owner only.
$(DAGSTER_HOME)/dagster.yaml: pipeline/dagster.yaml
	install -d -m 700 $(CHURN_DATA_DIR) $(DAGSTER_HOME)
	cp $< $@

# dagster-dbt reads dbt's manifest; outside `dagster dev` it must be built explicitly.
manifest: dbt_project/target/manifest.json
dbt_project/target/manifest.json: $(DBT_FILES) | $(VENV)/.synced
	cd dbt_project && ../$(VENV)/bin/dbt parse --profiles-dir . --quiet

# The shop's first run lives its history in two parts (demo/first_run.py): up to a decision day,
# the pipeline deciding there, then the days after it with those decisions sent, so that the
# backtest, outcome and uplift tables have rows at once. Once done (or with data present) it does nothing.
demo-data: setup manifest
	$(PY) -m demo.first_run --world $(WORLD) --out "$(CHURN_DATA_DIR)"

# Close the loop on the demo: the simulated senders send today's action_queue, users respond
# over 14 more days, the pipeline loads those days, and the measured uplift is set beside the
# true effect. Run after `make run`; repeat for another round.
demo-loop: setup manifest
	$(PY) -m demo.campaign --out "$(CHURN_DATA_DIR)" --days 14
	$(PY) -m pipeline.cli run
	$(PY) -m demo.uplift_check --out "$(CHURN_DATA_DIR)"

# Apply the deletion requests in $(CHURN_DATA_DIR)/landing/deletions/*.csv (README, "Deleting a user").
# BY="name" records who asked; the default is your OS user.
delete-users: setup
	$(PY) -m pipeline.cli delete-users $(if $(BY),--requested-by "$(BY)")

dev: setup manifest
	$(VENV)/bin/dagster dev -w workspace.yaml --port $(DAGSTER_PORT)

mlflow: setup
	$(VENV)/bin/mlflow ui --backend-store-uri $(MLFLOW_TRACKING_URI) --port $(MLFLOW_PORT)

docs: setup manifest
	cd dbt_project && ../$(VENV)/bin/dbt docs generate --profiles-dir .

clean:
	rm -rf $(CHURN_DATA_DIR) dbt_project/target
