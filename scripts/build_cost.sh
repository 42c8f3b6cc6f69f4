#!/usr/bin/env bash
# What depending on aegis costs a host: builds two throwaway host crates from
# an empty target directory each, with `cargo build` (debug, what a host runs
# first), and compares their CPU time (user+sys) and crate counts.
#
#   baseline: a host with its own `SendEmail` apalis job, its own
#             `sqlx::migrate!()`, apalis + apalis-postgres + sqlx + tokio +
#             serde, one worker in a Monitor.
#   aegis:    the same host, plus `aegis` (library only, default features off)
#             and `aegis-jobs` by path, and a use of each.
#
# Both copy this repository's Cargo.lock, so they resolve the same versions.
# Prints a table and writes JSON (default target/bench/build_cost.json).
#
# usage: scripts/build_cost.sh [--repo DIR] [--out FILE] [--keep]
#   --repo DIR  the aegis checkout to measure (default: this one)
#   --out FILE  where the JSON goes (default: <this repo>/target/bench/build_cost.json)
#   --keep      keep the temporary directory (host crates, logs, targets)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$here"
out="$here/target/bench/build_cost.json"
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repo) repo="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "build_cost: unknown argument $1" >&2; exit 2 ;;
  esac
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/aegis-build-cost.XXXXXX")"
if [[ $keep -eq 0 ]]; then
  trap 'rm -rf "$tmp"' EXIT
else
  echo "build_cost: keeping $tmp" >&2
fi

# A host's build must not see this checkout's settings or a database: the
# numbers are for `cargo build` on a clean host. SQLX_OFFLINE=true is what a
# host with a DATABASE_URL in its environment needs anyway (apalis-postgres's
# checked queries use the cache it ships).
unset DATABASE_URL RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_TARGET_DIR RUSTFLAGS CARGO_INCREMENTAL
export SQLX_OFFLINE=true

write_host() { # dir with_aegis
  local dir="$1" with_aegis="$2"
  mkdir -p "$dir/src" "$dir/migrations"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "host"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
apalis = "=1.0.0"
apalis-postgres = "=1.0.0"
sqlx = { version = "0.9", default-features = false, features = ["postgres", "runtime-tokio", "tls-rustls", "macros", "migrate"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "signal"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
EOF
  if [[ $with_aegis -eq 1 ]]; then
    cat >>"$dir/Cargo.toml" <<EOF
aegis = { path = "$repo", default-features = false }
aegis-jobs = { path = "$repo/jobs" }
EOF
  fi
  cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  cat >"$dir/migrations/0001_emails.sql" <<'EOF'
CREATE TABLE IF NOT EXISTS sent_emails (id BIGSERIAL PRIMARY KEY, to_addr TEXT NOT NULL);
EOF
  local aegis_use=""
  if [[ $with_aegis -eq 1 ]]; then
    aegis_use='    // aegis next to the host: its registration and its job contract.
    let _register = aegis::worker::register;
    println!("aegis queue: {}", aegis_jobs::queue::SYNC_PORTFOLIO);'
  fi
  cat >"$dir/src/main.rs" <<EOF
use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SendEmail {
    to: String,
}

async fn send_email(job: SendEmail) -> Result<(), BoxDynError> {
    println!("sending to {}", job.to);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    sqlx::migrate!().run(&pool).await?;
    PostgresStorage::setup(&pool).await?;
$aegis_use
    let worker_pool = pool.clone();
    Monitor::new()
        .register(move |_| {
            WorkerBuilder::new("emails")
                .backend(PostgresStorage::<SendEmail>::new(&worker_pool))
                .build(send_email)
        })
        .run_with_signal(tokio::signal::ctrl_c())
        .await?;
    Ok(())
}
EOF
}

# Builds one host from an empty target directory; prints "user sys crates".
measure() { # name
  local name="$1" dir="$tmp/$1"
  (
    cd "$dir"
    # Fetching is not building: download first, outside the timing.
    cargo fetch --quiet
    CARGO_TARGET_DIR="$tmp/target-$name" /usr/bin/time -f '%U %S' -o "$tmp/$name.time" \
      cargo build --color never >"$tmp/$name.log" 2>&1 || {
        echo "build_cost: the $name host failed to build; last lines of its log:" >&2
        tail -30 "$tmp/$name.log" >&2
        exit 1
      }
  )
  local crates
  crates="$(grep -c '^ *Compiling ' "$tmp/$name.log" || true)"
  echo "$(cat "$tmp/$name.time") $crates"
}

write_host "$tmp/baseline" 0
write_host "$tmp/aegis" 1

echo "build_cost: building the baseline host (clean, debug)…" >&2
read -r b_user b_sys b_crates < <(measure baseline)
echo "build_cost: building the host with aegis (clean, debug)…" >&2
read -r a_user a_sys a_crates < <(measure aegis)

b_cpu="$(echo "$b_user + $b_sys" | bc)"
a_cpu="$(echo "$a_user + $a_sys" | bc)"
ratio="$(echo "scale=3; $a_cpu / $b_cpu" | bc)"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"

printf '%-10s %8s %10s %10s\n' host crates user+sys_s ratio
printf '%-10s %8s %10.1f %10s\n' baseline "$b_crates" "$b_cpu" 1.000
printf '%-10s %8s %10.1f %10s\n' aegis "$a_crates" "$a_cpu" "$ratio"

mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
{
  "aegis_commit": "$commit",
  "cores": $(nproc),
  "baseline": { "crates": $b_crates, "user_s": $b_user, "sys_s": $b_sys, "cpu_s": $b_cpu },
  "aegis": { "crates": $a_crates, "user_s": $a_user, "sys_s": $a_sys, "cpu_s": $a_cpu },
  "ratio": $ratio
}
EOF
echo "build_cost: wrote $out" >&2
