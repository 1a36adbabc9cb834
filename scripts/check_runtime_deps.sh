#!/usr/bin/env bash
# Does requirements.txt alone carry the product? A throw-away venv gets
# requirements.txt and nothing else (no lock, no dev packages); in it every
# module of tracker/ and customers/ must import (scripts/check_runtime_deps.py)
# and `manage.py check` must pass. `make test` runs it first; it exits non-zero
# naming the module and the missing package.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
CHECK_DIR="$(mktemp -d /tmp/runtime-deps.XXXXXX)"
trap 'rm -rf "$CHECK_DIR"' EXIT
CHECK_VENV="$CHECK_DIR/venv"

say "runtime dependencies: a venv from requirements.txt alone"
if [ -x .venv/bin/uv ]; then
  # uv (a dev package) links from its cache: a few seconds instead of half a minute.
  .venv/bin/uv venv --quiet --no-python-downloads --python "$(command -v "$PYTHON")" "$CHECK_VENV"
  .venv/bin/uv pip install --quiet --python "$CHECK_VENV/bin/python" -r requirements.txt
else
  "$PYTHON" -m venv "$CHECK_VENV"
  "$CHECK_VENV/bin/pip" install --quiet -r requirements.txt # pip's cache makes a rerun quick
fi

# Module -> distribution names from the full dev venv, so a finding names the package to add.
dist_map=()
if [ -x .venv/bin/python ]; then
  .venv/bin/python -c 'import importlib.metadata as m, json; print(json.dumps(m.packages_distributions()))' \
    >"$CHECK_DIR/dist-map.json"
  dist_map=(--dist-map "$CHECK_DIR/dist-map.json")
fi

# A clean environment: nothing of the caller's (PYTHONPATH, DJANGO_SETTINGS_MODULE, test
# services) leaks in. The URLs make the settings name PostgreSQL and Redis, whose
# backends the check loads; nothing connects to them.
in_check_venv() {
  env -i PATH="$CHECK_VENV/bin:/usr/bin:/bin" HOME="$CHECK_DIR" LANG=C.UTF-8 \
    SECRET_KEY="runtime-deps-check-not-secret" DEBUG=false \
    DATABASE_URL="postgres://check@127.0.0.1:9/check" \
    CACHE_URL="redis://127.0.0.1:9/1" CELERY_BROKER_URL="redis://127.0.0.1:9/0" \
    "$CHECK_VENV/bin/python" "$@"
}

say "runtime dependencies: every product module imports"
in_check_venv -W "ignore:No directory at:UserWarning" scripts/check_runtime_deps.py "${dist_map[@]}"

say "runtime dependencies: manage.py check"
in_check_venv manage.py check
