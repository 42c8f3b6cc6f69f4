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

# Check formatting and clippy (warnings are errors).
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

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

# Run the benchmark (~15 min): prints one table, writes target/bench/results.json (--only S,.. --quick).
bench *args:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release --workspace
    export DATABASE_URL="$(scripts/db.sh url)"
    exec target/release/aegis-bench --root . {{args}}

# Run the fake Asana on its own (prints one JSON line: base_url, token, portfolio_gid, admin_url).
fake port="8787" preset="demo" *args:
    cargo run --quiet -p fake-asana -- --port {{port}} --preset {{preset}} {{args}}

# The demo: for now, the fake Asana with the demo preset (the durable-jobs work completes it).
demo port="8787":
    #!/usr/bin/env bash
    set -euo pipefail
    export DATABASE_URL="$(scripts/db.sh url)"
    cargo build --quiet -p fake-asana
    echo "Starting the fake Asana (demo preset) on 127.0.0.1:{{port}}; ctrl-c stops it."
    echo "Point aegis at it with the values printed below:"
    echo "  export ASANA_BASE_URL=<base_url> ASANA_ACCESS_TOKEN=<token> ASANA_PORTFOLIO_GID=<portfolio_gid>"
    echo "  export DATABASE_URL=$DATABASE_URL"
    exec target/debug/fake-asana --port {{port}} --preset demo
