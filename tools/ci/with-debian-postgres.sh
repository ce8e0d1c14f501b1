#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at Debian's PostgreSQL 15,
# installed with apt when missing and started as the unprivileged postgres
# user on a private port and data directory. Used by .ci/run.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/postgres" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql-15 >/dev/null
fi
id postgres >/dev/null 2>&1 || useradd --system --user-group postgres
dir=$(mktemp -d /tmp/threadline-pg15-XXXXXX)
chmod 755 "$dir"; chown postgres "$dir"
port=54315
run_as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run_as_postgres "$PGBIN/initdb -D $dir/data -U postgres --auth=trust -E UTF8" >/dev/null
run_as_postgres "$PGBIN/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l $dir/log -w start" >/dev/null
trap 'run_as_postgres "$PGBIN/pg_ctl -D $dir/data -m fast -w stop" >/dev/null 2>&1; rm -rf "$dir"' EXIT
echo "Testing against $("$PGBIN/postgres" --version)"
THREADLINE_CI_SECOND_PASS=1 TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" "$@"
