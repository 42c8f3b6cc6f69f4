#!/usr/bin/env bash
# Brings up (or down) the PostgreSQL that aegis's recipes use.
#
#   scripts/db.sh up     print the DATABASE_URL to use, starting a cluster if needed
#   scripts/db.sh down   stop the private cluster (if this project started one)
#   scripts/db.sh url    same as `up` but prints nothing else
#
# `up`: when DATABASE_URL is set and answers, it is used as is. Otherwise a
# private throwaway cluster is started under target/pg from the installed
# PostgreSQL binaries (PATH or /usr/lib/postgresql/*/bin), trust auth, on
# 127.0.0.1 and a socket in target/pg/sock, on a free port from 54329 up.
# PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user (or `nobody`). A second `up` reuses the running cluster.
# The URL is written to target/pg/database_url, where the justfile reads it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pg="$root/target/pg"
url_file="$pg/database_url"

say() { [ "${quiet:-0}" = 1 ] || echo "db: $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# The password is never printed: postgres://user:secret@host → postgres://user:***@host.
redact() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  die "no PostgreSQL server binaries found (initdb, postgres); install them (Debian: apt-get install postgresql) or set DATABASE_URL to a server you have"
}

# Runs a command as the unprivileged server user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}

pick_user() {
  pg_user=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=nobody; fi
  fi
}

# The data folder must be reachable by the server user; a clone inside a
# private (0700) folder is not, so the cluster then lives under /tmp and
# target/pg links to it.
prepare_dir() {
  mkdir -p "$root/target"
  [ -e "$pg" ] || mkdir -p "$pg"
  if [ "$(id -u)" = 0 ] && ! runuser -u "$pg_user" -- test -x "$root/target" 2>/dev/null; then
    local alt="/tmp/aegis-pg-$(echo "$root" | md5sum | cut -c1-10)"
    if [ ! -L "$pg" ]; then
      rm -rf "$pg"
      mkdir -p "$alt"
      ln -s "$alt" "$pg"
    fi
  fi
  mkdir -p "$pg/sock"
  [ "$(id -u)" = 0 ] && chown -R "$pg_user" "$(readlink -f "$pg")"
  chmod 0755 "$(readlink -f "$pg")"
  return 0
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() {
  [ -f "$pg/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$pg/data" status >/dev/null 2>&1
}

start_cluster() {
  if [ ! -f "$pg/data/PG_VERSION" ]; then
    say "initialising a private cluster in $pg/data"
    as_pg "$bin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 --no-locale >"$pg/initdb.log" 2>&1 \
      || die "initdb failed; see $pg/initdb.log"
  fi
  local port=54329
  while ! port_free "$port"; do port=$((port + 1)); done
  echo "$port" >"$pg/port"
  say "starting PostgreSQL on 127.0.0.1:$port"
  # Throwaway cluster: durability off for speed, enough connections for parallel tests.
  as_pg "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 \
    -o "-p $port -k $pg/sock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" \
    start >/dev/null || die "PostgreSQL did not start; see $pg/server.log"
}

ensure_database() {
  local port=$1 out
  if ! out=$("$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres aegis 2>&1); then
    grep -q "already exists" <<<"$out" || die "could not create database aegis: $out"
  fi
}

external_answers() {
  command -v psql >/dev/null 2>&1 || return 0  # cannot check: trust it
  psql "$DATABASE_URL" -tAc 'select 1' >/dev/null 2>&1
}

up() {
  mkdir -p "$root/target/pg"
  if [ -n "${DATABASE_URL:-}" ] && [ "${AEGIS_PRIVATE_DB:-0}" != 1 ]; then
    if external_answers; then
      say "using DATABASE_URL=$(redact "$DATABASE_URL")"
      echo "$DATABASE_URL" >"$url_file"
      echo "$DATABASE_URL"
      return
    fi
    say "DATABASE_URL=$(redact "$DATABASE_URL") does not answer; starting a private cluster instead"
  fi
  bin=$(find_bin)
  pick_user
  prepare_dir
  running || start_cluster
  local port
  port=$(cat "$pg/port")
  ensure_database "$port"
  local url="postgres://postgres@127.0.0.1:$port/aegis"
  echo "$url" >"$url_file"
  say "DATABASE_URL=$url"
  echo "$url"
}

down() {
  if [ ! -f "$pg/data/postmaster.pid" ]; then say "no private cluster is running"; return; fi
  bin=$(find_bin)
  pick_user
  as_pg "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null && say "stopped"
}

case "${1:-up}" in
  up) up ;;
  url) quiet=1 up ;;
  down) down ;;
  *) die "usage: scripts/db.sh up|url|down" ;;
esac
