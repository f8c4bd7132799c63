# fruits-emr: every entry point sets up the pinned environment it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell sha256sum requirements/lock.txt | cut -c1-12)

export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(PY))
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)/spark_jobs:$(CURDIR)
PORT ?= 8080
# The browser test drives Debian's chromium through Playwright (no browser download is possible).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: env test demo airflow-ui bench clean

env: $(STAMP)

$(STAMP): requirements/lock.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements/lock.txt
	rm -f $(VENV)/.installed-* && touch $@

## Run the test suite (what CI runs).
test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -ra

$(CHROMIUM):
	$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium

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
	rm -rf $(VENV) .pytest_cache build .local
