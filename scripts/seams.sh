#!/usr/bin/env bash
# The seams issue 8 made, kept: only src/queue names apalis's tables, only
# src/runs names the runs tables, src/cli runs no SQL, and no two files of
# src/ import each other round a loop. `just lint` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() { # description, grep output
  if [[ -n "$2" ]]; then echo "seams: $1:"; echo "$2"; fail=1; fi
}
check "apalis tables named outside src/queue" \
  "$(grep -rn 'apalis\.' src/ --include=*.rs | grep -v '^src/queue/' || true)"
check "runs tables named outside src/runs" \
  "$(grep -rn 'sync_run' src/ --include=*.rs | grep -v '^src/runs/' || true)"
check "SQL in src/cli" "$(grep -rn 'sqlx::query' src/cli || true)"
python3 scripts/import_cycles.py || fail=1
exit "$fail"
