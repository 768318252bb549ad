# Two entry points on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test test-spark slow differential differential-long differential-chunks reliability validate dagster clean

setup: $(STAMP) browser

# The report's browser test (tests/test_report_page.py) drives Debian's Chromium headless.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || (echo "==> installing Debian's chromium and chromium-driver for the HTML report's browser test" && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver)

$(STAMP): pyproject.toml
	@echo "==> making the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> installing orgjourney and its dependencies (about 90 s on a fresh machine)"
	$(BIN)/pip install --progress-bar on -e '.[test,spark]'
	@command -v java >/dev/null || test -n "$$JAVA_HOME" || (echo '==> installing Java 17 for Spark' && apt-get update -q && apt-get install -y -q openjdk-17-jre-headless)
	touch $(STAMP)
	@echo "==> ready: $(VENV)"

demo: $(STAMP)
	$(BIN)/orgjourney demo

# Lint and format the whole repository, then the tests (which write nothing into it), but
# the slow ones (`make slow`: the benchmark end to end, crashes, concurrency, random worlds).
test: $(STAMP) browser
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/pytest -n 2 -m "not slow and not spark"

# The Spark engine against DuckDB: parity on scenario and random worlds, crashes, transpiling.
test-spark: $(STAMP)
	$(BIN)/pytest -n 2 -m spark

slow: $(STAMP)
	$(BIN)/pytest -n 2 -m slow

# The differential tests with more examples than the default run: `differential` (CI) draws
# 25 new worlds per test, `differential-long` 1000 in one run (about 3 h 20 min on two
# cores); `differential-chunks` runs the long profile as CHUNKS rounds of EXAMPLES new worlds
# per test (tools/differential_rounds.py), each recorded in docs/differential/rounds.jsonl
# under a fingerprint of the code it covers, so rounds on the same code add up across sessions.
REFERENCE_PROFILES := -p orgjourney_reference.profiles tests/test_reference.py
differential: $(STAMP)
	$(BIN)/pytest -n 2 -p no:cacheprovider $(REFERENCE_PROFILES) --hypothesis-profile=extended

differential-long: $(STAMP)
	$(BIN)/pytest -n 2 -p no:cacheprovider $(REFERENCE_PROFILES) --hypothesis-profile=long

CHUNKS ?= 4
EXAMPLES ?= 25
differential-chunks: $(STAMP)
	$(BIN)/python tools/differential_rounds.py --rounds $(CHUNKS) --examples $(EXAMPLES)

# Crash and concurrency tests in rounds, and determinism; prints the totals.
reliability: $(STAMP)
	$(BIN)/python tools/reliability.py

validate: $(STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml

# The instance settings limit the warehouse pool to one run at a time.
dagster: $(STAMP)
	mkdir -p .dagster_home && cp dagster_project/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf $(VENV) data/warehouse.duckdb* data/inbox data/exports .dagster_home
