#!/usr/bin/env bash
# `make test`: check that requirements.txt alone carries the product, start
# PostgreSQL and Redis on loopback, run ruff and pytest, stop them.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

scripts/check_runtime_deps.sh

ensure_debian_packages \
  redis-server redis-server \
  "$PG_BIN/initdb" postgresql-15 \
  /usr/bin/chromium chromium \
  msgfmt gettext \
  /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts-noto-cjk

SERVICES="$(mktemp -d /tmp/tracker-test.XXXXXX)"
chmod 755 "$SERVICES"
cleanup() { stop_postgres; stop_redis; rm -rf "$SERVICES"; }
trap cleanup EXIT

say "starting PostgreSQL and Redis on loopback"
start_postgres "$SERVICES/pg"
start_redis "$SERVICES/redis"
export DATABASE_URL="$PG_URL" CELERY_BROKER_URL="$REDIS_URL" TEST_REDIS_URL="$REDIS_URL"
export SECRET_KEY="test-only-not-secret" DEBUG=false

say "ruff check"
.venv/bin/ruff check .

say "makemigrations --check"
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null

say "compilemessages"
compile_messages

say "collectstatic"
.venv/bin/python manage.py collectstatic --noinput >/dev/null

say "pytest on PostgreSQL ($DATABASE_URL), Redis ($REDIS_URL)"
mkdir -p artifacts
if [ $# -gt 0 ]; then
  .venv/bin/pytest -p no:cacheprovider "$@"
else
  # Tests with real Celery workers, and the fault tests (which restart PostgreSQL and Redis), each in a
  # pytest process of their own: after the rest of the suite in one process, two of them saw Celery
  # state left by earlier tests (the sweep never reached its workers; a refused broker was not seen).
  # Each passes alone and in its own group; the leak itself is not found yet.
  .venv/bin/pytest -p no:cacheprovider -m "not faults and not celery"
  say "pytest: the tests with real Celery workers"
  .venv/bin/pytest -p no:cacheprovider -m "celery and not faults"
  say "pytest: the fault and self-healing tests"
  .venv/bin/pytest -p no:cacheprovider -m faults tests/faults tests/tracker/test_sweep_healing.py
fi
