#!/usr/bin/env bash
# The whole suite, on embedded SQLite and again on a throwaway PostgreSQL server.
# Ends with one line "N passed, N failed" adding up both runs.
# Set TUCO_TEST_PG_URL to use a PostgreSQL you already run; otherwise one is started here
# from the machine's PostgreSQL binaries on a free loopback port, and removed afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/tuco-test.XXXXXX)
chmod 755 "$work"
pg_started=""

find_pg_bin() {
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

cleanup() {
  if [ -n "$pg_started" ]; then as_pg "'$PGBIN/pg_ctl' -D '$work/pg' -m immediate stop" >/dev/null 2>&1; fi
  rm -rf "$work"
}
trap cleanup EXIT

run_suite() { # $1 = backend
  local out="$work/$1.json"
  TUCO_TEST_DB="$1" npx vitest run --reporter=default --reporter=json --outputFile="$out" "${@:2}"
  node -e '
    const fs = require("fs");
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      // A file that failed to load has no failed test of its own: count it once.
      const broken = (r.testResults || []).filter((f) => f.status === "failed" && !(f.assertionResults || []).some((a) => a.status === "failed")).length;
      console.log(`${r.numPassedTests} ${r.numFailedTests + broken}`);
    } catch { console.log("0 1"); }
  ' "$out" > "$work/$1.count"
}

run_suite sqlite "$@"

if [ -z "${TUCO_TEST_PG_URL:-}" ]; then
  PGBIN=$(find_pg_bin)
  if [ -z "$PGBIN" ]; then
    echo "PostgreSQL binaries not found: install PostgreSQL 15 (apt-get install postgresql-15) or set TUCO_TEST_PG_URL" >&2
    echo "0 1" > "$work/postgres.count"
  else
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    mkdir -p "$work/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$work/pg" "$work"
    as_pg "'$PGBIN/initdb' -D '$work/pg' -U postgres -A trust --no-sync" >/dev/null
    if as_pg "'$PGBIN/pg_ctl' -D '$work/pg' -w -l '$work/pg.log' -o \"-p $port -k '$work' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start" >/dev/null; then
      pg_started=1
      export TUCO_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
    else
      cat "$work/pg.log" >&2
      echo "0 1" > "$work/postgres.count"
    fi
  fi
fi
if [ -n "${TUCO_TEST_PG_URL:-}" ]; then run_suite postgres "$@"; fi

read -r p1 f1 < "$work/sqlite.count"
read -r p2 f2 < "$work/postgres.count"
echo "SQLite: $p1 passed, $f1 failed; PostgreSQL: $p2 passed, $f2 failed"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
[ $((f1 + f2)) -eq 0 ]
