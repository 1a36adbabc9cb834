# Shared helpers for the setup scripts: sourced, not run.
# They start throw-away services on loopback for `make run` and `make test`.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

free_port() {
  "$ROOT/.venv/bin/python" - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

# apt-get install the named Debian packages when their command is missing.
ensure_debian_packages() {
  local missing=()
  while [ $# -gt 0 ]; do
    command -v "$1" >/dev/null 2>&1 || [ -e "$1" ] || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "missing system packages: ${missing[*]} (install them with your package manager)"
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Compile the translations (locale/*/LC_MESSAGES/django.po -> .mo); the .mo files are not in git.
compile_messages() {
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles >/dev/null
}

# Start a private Redis on a free loopback port; sets REDIS_URL and REDIS_PID.
# start_redis DIR [persist]: with "persist", an append-only file in DIR keeps the queue across
# a restart of Redis (make run); without, a throw-away instance (tests).
start_redis() {
  local dir="$1" port appendonly="no"
  [ "${2:-}" = "persist" ] && appendonly="yes"
  port="$(free_port)"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly "$appendonly" --appendfsync everysec \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  REDIS_URL="redis://127.0.0.1:$port/0"
  REDIS_PID="$(cat "$dir/redis.pid")"
  export REDIS_URL REDIS_PID
}

stop_redis() {
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null || true
}

# Start a throw-away PostgreSQL cluster as the `postgres` user (it refuses root);
# sets PG_URL and PG_DATA.
start_postgres() {
  local dir="$1" port
  port="$(free_port)"
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres "$dir"
  PG_DATA="$dir/data"
  su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$PG_DATA' -U postgres -A trust -E UTF8 --no-locale" >"$dir/initdb.log"
  su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$dir/postgres.log' -w \
    -o \"-h 127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_URL PG_DATA
}

stop_postgres() {
  if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
    su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DATA' -m fast -w stop" >/dev/null 2>&1 || true
  fi
}
