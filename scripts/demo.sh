#!/usr/bin/env bash
# The aegis demo, unattended, on a fresh machine (what `just demo` runs):
#
#   1. PostgreSQL up (scripts/db.sh: DATABASE_URL if it answers, else a
#      private throwaway cluster), and a fresh database `aegis_demo` on it,
#      dropped and re-created on every run so the figures shown are this
#      run's only (the `aegis` database the tests and you use is untouched;
#      without psql/createdb rights the demo falls back to that database);
#   2. build aegis and the fake Asana; start the fake with the demo preset in
#      the background, rate-limited like a paid Asana plan (1500 requests/min,
#      a little latency);
#   3. aegis migrate, aegis enqueue sync, two `aegis worker --drain` processes
#      in parallel sharing one rate budget, waited for;
#   4. aegis status, aegis queue stats, aegis runs.
#
# The fake and any worker still running are stopped on exit, whatever
# happens. Options: $1 = the fake's port (default 0: a free one).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${1:-0}
rpm=1500
work=$(mktemp -d)
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

# psql from PATH or from the installed server's bin folder.
find_psql() {
  command -v psql 2>/dev/null && return
  ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1
}

# $1 with its database name replaced by $2 (query string kept).
with_database() {
  local base=${1%%\?*}
  local query=${1#"$base"}
  case "$base" in
    *://*/*) echo "${base%/*}/$2$query" ;;
    *) echo "$base/$2$query" ;;
  esac
}

# A fresh `aegis_demo` database on the server, or the server's own database.
fresh_database() {
  local server=$1 psql
  psql=$(find_psql || true)
  if [ -n "$psql" ] &&
    "$psql" "$server" -qX -v ON_ERROR_STOP=1 \
      -c 'drop database if exists aegis_demo with (force)' \
      -c 'create database aegis_demo' >/dev/null 2>"$work/createdb.err"; then
    with_database "$server" aegis_demo
  else
    echo "note: cannot create a fresh aegis_demo database ($(head -n 1 "$work/createdb.err" 2>/dev/null || echo 'no psql')); using the server's own database, which keeps earlier runs" >&2
    echo "$server"
  fi
}

# Starts the fake in the background and reads its JSON line (no jq needed).
start_fake() {
  target/debug/fake-asana --port "$port" --preset demo --requests-per-minute "$rpm" \
    --latency-ms 15 >"$work/fake.json" 2>"$work/fake.err" &
  pids+=($!)
  local waited=0
  until grep -q '"portfolio_gid"' "$work/fake.json" 2>/dev/null; do
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/fake.err" >&2; echo "error: the fake Asana did not start" >&2; exit 1; }
    [ "$waited" -lt 100 ] || { echo "error: the fake Asana printed nothing in 10 s" >&2; exit 1; }
    sleep 0.1
    waited=$((waited + 1))
  done
  field() { sed -E "s/.*\"$1\": *\"([^\"]*)\".*/\\1/" "$work/fake.json" | head -n 1; }
  ASANA_BASE_URL=$(field base_url)
  ASANA_ACCESS_TOKEN=$(field token)
  ASANA_PORTFOLIO_GID=$(field portfolio_gid)
  export ASANA_BASE_URL ASANA_ACCESS_TOKEN ASANA_PORTFOLIO_GID
}

step "PostgreSQL"
server=$(scripts/db.sh url)
DATABASE_URL=$(fresh_database "$server")
export DATABASE_URL
echo "database: $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$DATABASE_URL")"

step "build"
cargo build --quiet -p aegis -p fake-asana --bins
aegis=target/debug/aegis

step "fake Asana (demo preset, $rpm requests/min)"
start_fake
echo "serving $ASANA_BASE_URL, portfolio $ASANA_PORTFOLIO_GID"
export ASANA_REQUESTS_PER_MINUTE=$rpm

step "aegis migrate"
"$aegis" migrate

step "aegis enqueue sync"
run=$("$aegis" enqueue sync)
echo "queued run $run"

step "two workers: aegis worker --drain (x2, one shared rate budget)"
started=$(date +%s)
workers=()
for n in 1 2; do
  "$aegis" worker --drain --concurrency 3 --poll-interval 200ms \
    > >(sed -u "s/^/[worker $n] /") 2>&1 &
  pids+=($!)
  workers+=($!)
done
failed=0
for pid in "${workers[@]}"; do
  wait "$pid" || failed=1
done
echo "both workers exited after $(($(date +%s) - started)) s"

step "aegis status"
"$aegis" status
step "aegis queue stats"
"$aegis" queue stats
step "aegis runs"
"$aegis" runs
step "aegis runs $run"
"$aegis" runs "$run"
exit "$failed"
