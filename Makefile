# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test venv lint clean assets bench

run: $(STAMP) assets
	@scripts/run.sh

test: $(STAMP) assets
	@scripts/test.sh $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

bench: $(STAMP)
	@scripts/bench-deps.sh
	$(VENV)/bin/python benchmarks/probe_throughput.py
	$(VENV)/bin/python benchmarks/sweep.py
	$(VENV)/bin/python benchmarks/ui.py

assets:
	@scripts/assets.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .run .broker node_modules static/vendor
