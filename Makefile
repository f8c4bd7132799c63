# fruits-emr: every entry point sets up the pinned environment it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell sha256sum requirements/lock.txt | cut -c1-12)
# The Spark of the configured EMR release (requirements/emr-spark.txt), layered over $(VENV).
EMR_SPARK_VENV ?= .venv-emr
EMR_SPARK_STAMP := $(EMR_SPARK_VENV)/.installed-$(shell sha256sum requirements/emr-spark.txt | cut -c1-12)

export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(PY))
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)/spark_jobs:$(CURDIR)
export FRUITS_EMR_SPARK_VENV := $(abspath $(EMR_SPARK_VENV))
PORT ?= 8080
# The browser test drives Debian's chromium through Playwright (no browser download is possible).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: env emr-spark-env lint test test-fast dist demo airflow-ui bench clean

env: $(STAMP)

$(STAMP): requirements/lock.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements/lock.txt
	rm -f $(VENV)/.installed-* && touch $@

## The EMR release's Spark over the main environment: its own site-packages first, then $(VENV)'s.
emr-spark-env: $(EMR_SPARK_STAMP)

$(EMR_SPARK_STAMP): requirements/emr-spark.txt $(STAMP)
	rm -rf $(EMR_SPARK_VENV)
	$(PY) -m venv --without-pip $(EMR_SPARK_VENV)
	$(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
		> "$$($(EMR_SPARK_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/main-venv.pth"
	$(VENV)/bin/uv pip install -q --python $(EMR_SPARK_VENV)/bin/python --no-deps -r requirements/emr-spark.txt
	touch $@

## Lint the whole tree (ruff, configured in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .

## Lint, then run the whole test suite (what CI runs).
test: lint $(EMR_SPARK_STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -ra --durations=15

## The tests a developer runs every minute: all but the Spark, DAG-run, end-to-end and browser tests.
test-fast: $(STAMP)
	$(PY) -m pytest -q -ra -m "not (spark or emr_spark or airflow_db or e2e or browser)"

$(CHROMIUM):
	$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium

## Build the job bundle a deployment ships beside dags/ and plugins/ (README: Deploying).
dist: $(STAMP)
	rm -rf dist/job_bundle
	$(PY) -m fruits_emr.job_bundle dist/job_bundle

## Run the real DAG end to end against the local EMR emulator.
demo: $(STAMP)
	$(PY) -m local_emr.demo

## Start Airflow (UI on http://localhost:8080, or PORT=8081) wired to the local EMR emulator.
airflow-ui: $(STAMP)
	$(PY) -m local_emr.standalone --port $(PORT)

## Measure throughput, storage and cost; writes benchmarks/RESULTS.md and benchmarks/results.json.
bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) $(EMR_SPARK_VENV) .pytest_cache build .local dist
