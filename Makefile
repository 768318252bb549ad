# Two entry points on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint validate dagster clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/orgjourney demo

test: $(STAMP)
	$(BIN)/ruff check orgjourney_pipeline dagster_project tests
	$(BIN)/pytest

validate: $(STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml

dagster: $(STAMP)
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf $(VENV) data/warehouse.duckdb* data/inbox data/exports .dagster_home
