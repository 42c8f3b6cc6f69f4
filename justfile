# aegis: every command a developer or operator runs. `just --list` explains each.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Start (or reuse) the PostgreSQL aegis uses and print its DATABASE_URL.
db-up:
    @scripts/db.sh up

# Stop the private PostgreSQL cluster started by db-up.
db-down:
    @scripts/db.sh down

# Build everything.
build:
    cargo build --workspace --all-targets

# Format the code.
fmt:
    cargo fmt --all

# Check formatting, clippy (warnings are errors; also the library without the `cli` feature, as a host builds it), the docs' links and the module seams (scripts/seams.sh).
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p aegis --no-default-features --lib -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
    scripts/seams.sh

# Run every test of the workspace against a real PostgreSQL (brought up if needed).
test *args:
    #!/usr/bin/env bash
    set -euo pipefail
    export DATABASE_URL="$(scripts/db.sh url)"
    cargo test --workspace --doc --quiet
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --workspace --no-fail-fast {{args}}
    else
        cargo test --workspace --no-fail-fast {{args}}
    fi

# Run the benchmark (~25 min): prints one table, writes target/bench/results.json (--only S,.. --quick).
bench *args:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release --workspace
    export DATABASE_URL="$(scripts/db.sh url)"
    exec target/release/aegis-bench --root . {{args}}

# What depending on aegis costs a host: two clean debug builds (a host with its own apalis job, then the same with aegis), CPU seconds, crates, ratio; writes target/bench/build_cost.json (~10 min on 2 cores).
build-cost *args:
    scripts/build_cost.sh {{args}}

# Run the fake Asana on its own (prints one JSON line: base_url, token, portfolio_gid, admin_url).
fake port="8787" preset="demo" *args:
    cargo run --quiet -p fake-asana -- --port {{port}} --preset {{preset}} {{args}}

# The demo, unattended: a fresh `aegis_demo` database, the fake Asana (demo preset), migrate, enqueue, two workers drain it, then status, queue stats and runs (see scripts/demo.sh).
demo port="0":
    @scripts/demo.sh {{port}}
