#!/usr/bin/env bash
# `make run`: migrate, seed the demo on an empty database, pick a broker, and
# start web, Celery worker and Celery beat together (honcho). Ctrl-C stops all.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# A laptop serves plain HTTP on loopback: relax the HTTPS-only production defaults.
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
export SESSION_COOKIE_SECURE="${SESSION_COOKIE_SECURE:-false}"
export CSRF_COOKIE_SECURE="${CSRF_COOKIE_SECURE:-false}"
export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
export PORT="${PORT:-8000}"

mkdir -p .run
REDIS_PID=""
DEMO_DNS_PID=""
stop_all() { stop_redis; [ -n "$DEMO_DNS_PID" ] && kill "$DEMO_DNS_PID" 2>/dev/null || true; }
trap stop_all EXIT

if [ -n "${CELERY_BROKER_URL:-}" ]; then
  say "broker: $CELERY_BROKER_URL (from CELERY_BROKER_URL)"
elif command -v redis-server >/dev/null 2>&1; then
  # Append-only: queued sweep chunks survive a restart of Redis (docs/operations.md, "Broker").
  start_redis "$ROOT/.run/redis" persist
  export CELERY_BROKER_URL="$REDIS_URL"
  say "broker: private Redis at $CELERY_BROKER_URL (append-only file in .run/redis)"
else
  export CELERY_BROKER_URL="filesystem://"
  say "broker: Kombu filesystem transport in .broker/ (no redis-server found; install Redis for production)"
fi

say "database: ${DATABASE_URL:-SQLite file db.sqlite3}"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput >/dev/null
.venv/bin/python manage.py ensure_schedules
if [ "$(.venv/bin/python manage.py shell --no-imports -c 'from customers.models import Customer; print(Customer.objects.exists())' | tail -n 1)" = "False" ]; then
  say "empty database: seeding the demo"
  .venv/bin/python manage.py seed_demo
else
  say "demo logins: see README (seeded earlier); reseed with: .venv/bin/python manage.py seed_demo"
fi

# Sweeps need DNS. Unless DNS_NAMESERVERS names real resolvers, serve the demo
# domains from a local authoritative server, so nothing leaves the machine.
if [ -z "${DNS_NAMESERVERS:-}" ] && [ "${DEMO_DNS:-1}" != "0" ]; then
  rm -f .run/demo_dns.addr
  .venv/bin/python manage.py serve_demo_dns --port-file .run/demo_dns.addr &
  DEMO_DNS_PID=$!
  for _ in $(seq 100); do [ -s .run/demo_dns.addr ] && break; sleep 0.1; done
  DNS_NAMESERVERS="$(cat .run/demo_dns.addr)"
  export DNS_NAMESERVERS
  say "DNS: demo zones served on $DNS_NAMESERVERS (set DNS_NAMESERVERS to use real resolvers)"
else
  say "DNS: ${DNS_NAMESERVERS:-the system resolver}"
fi

if [ "$(.venv/bin/python manage.py shell --no-imports -c 'from tracker.models import Check; print(Check.objects.exists())' | tail -n 1)" = "False" ]; then
  say "no checks yet: queueing a first sweep of every active campaign (the worker starts it)"
  .venv/bin/python manage.py sweep
fi

say "starting web, worker and beat: open http://127.0.0.1:$PORT/  (Ctrl-C stops everything)"
.venv/bin/honcho -f Procfile start
