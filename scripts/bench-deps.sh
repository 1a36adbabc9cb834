#!/usr/bin/env bash
# What the benchmarks need beyond `make test`: Knot, a real authoritative DNS server.
source "$(dirname "$0")/lib.sh"
ensure_debian_packages knotd knot redis-server redis-server "$PG_BIN/initdb" postgresql-15
