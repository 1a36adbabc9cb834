# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# Installs come from the lock files only, every file checked against its hash (README: Dependencies).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# The locks are made for production's Python and platform; `make lock LOCK_ARGS=--upgrade` moves every pin.
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: run test venv lint clean assets bench lock

run: $(RUN_STAMP) assets
	@scripts/run.sh

test: $(DEV_STAMP) assets
	@scripts/test.sh $(PYTEST_ARGS)

venv: $(DEV_STAMP)

# $(1): the lock file to install into the venv.
define install_lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r $(1)
	@touch $@
endef

$(RUN_STAMP): requirements.lock
	$(call install_lock,requirements.lock)

$(DEV_STAMP): requirements-dev.lock
	$(call install_lock,requirements-dev.lock)

# Regenerate both locks from the .txt files, keeping every pin they do not force to move.
# The lock tool comes at the version requirements-dev.lock pins, when it pins one.
UV_PIN = $(shell sed -n 's/^\(uv==[^ ]*\).*/\1/p' requirements-dev.lock 2>/dev/null)
lock:
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install --quiet "$(or $(UV_PIN),uv)"
	$(LOCK) requirements.txt -o requirements.lock
	$(LOCK) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

bench: $(DEV_STAMP)
	@scripts/bench-deps.sh
	$(VENV)/bin/python benchmarks/probe_throughput.py
	$(VENV)/bin/python benchmarks/sweep.py
	$(VENV)/bin/python benchmarks/ui.py

assets:
	@scripts/assets.sh

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .run .broker node_modules static/vendor
