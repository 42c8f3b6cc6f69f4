#!/usr/bin/env bash
# A fault drill at the default settings (probe interval 30 s, circuit after
# 5 failures): two `aegis worker --drain` processes sync a 4 × 200 world
# from the fake; once a project job runs, Asana goes away for SECONDS
# (`outage`: 503 on every route; `revoked`: the token answers 401), then
# comes back. Prints the requests Asana received during the fault, the time
# from its end to the drained queue, and the jobs that died or spent more
# than one attempt (both should be 0).
#
#   scripts/hold_drill.sh outage 300     # a 5-minute outage
#   scripts/hold_drill.sh revoked 300    # a 5-minute 401 pause
#
# Needs `cargo build --release -p aegis -p fake-asana` and the database of
# `scripts/db.sh url`; creates and drops a database `aegis_drill_<kind>`.
set -euo pipefail
kind=${1:?usage: hold_drill.sh outage|revoked SECONDS}
seconds=${2:?usage: hold_drill.sh outage|revoked SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release
admin_url=$(scripts/db.sh url)
db="aegis_drill_$kind"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

psql "$admin_url" -qc "drop database if exists $db with (force)" -c "create database $db"
export DATABASE_URL="${admin_url%/*}/$db"

"$bin/fake-asana" --projects 4 --tasks-per-project 200 --latency-ms 20 >"$work/fake.json" &
until [ -s "$work/fake.json" ]; do sleep 0.1; done
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$work/fake.json")
fake_admin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_url"])' "$work/fake.json")
export ASANA_BASE_URL=$base ASANA_ACCESS_TOKEN=0/fake-token ASANA_REQUESTS_PER_MINUTE=1500
export ASANA_PORTFOLIO_GID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["portfolio_gid"])' "$work/fake.json")

"$bin/aegis" migrate >/dev/null
"$bin/aegis" enqueue sync >/dev/null
for k in 1 2; do "$bin/aegis" worker --drain >"$work/worker$k.out" 2>"$work/worker$k.err" & done
until [ "$(psql "$DATABASE_URL" -Atc "select count(*) from apalis.jobs where status = 'Running' and job_type like '%project%'")" -gt 0 ]; do
    sleep 0.05
done

case $kind in
  outage) curl -sf -X POST "$fake_admin/faults" -H 'content-type: application/json' \
            -d '{"route": "/**", "kind": "unavailable_html", "retry_after": null}' >/dev/null ;;
  revoked) curl -sf -X POST "$fake_admin/tokens/revoke" -H 'content-type: application/json' \
            -d '{"token": "0/fake-token"}' >/dev/null ;;
  *) echo "unknown kind $kind" >&2; exit 2 ;;
esac
curl -sf -X DELETE "$fake_admin/stats" >/dev/null
sleep "$seconds"
during=$(curl -sf "$fake_admin/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin)["data"]; print(s["total_requests"], s["by_route"].get("GET /users/me", 0))')
healed=$(date +%s.%N)
case $kind in
  outage) curl -sf -X DELETE "$fake_admin/faults" >/dev/null ;;
  revoked) curl -sf -X POST "$fake_admin/tokens" -H 'content-type: application/json' \
             -d '{"token": "0/fake-token", "user": null}' >/dev/null ;;
esac
wait %2 %3 2>/dev/null || true
drained=$(date +%s.%N)
read -r requests probes <<<"$during"
read -r dead charged <<<"$(psql "$DATABASE_URL" -Atc "select count(*) filter (where status = 'Killed' or (status = 'Failed' and attempts >= max_attempts)), count(*) filter (where attempts > 1) from apalis.jobs" | tr '|' ' ')"
run=$(psql "$DATABASE_URL" -Atc "select status from sync_runs order by started_at desc limit 1")
printf '%s for %s s: %s requests during it (%s probes), drained %.1f s after it ended, %s dead, %s charged twice, run %s\n' \
    "$kind" "$seconds" "$requests" "$probes" "$(python3 -c "print($drained - $healed)")" "$dead" "$charged" "$run"
psql "$admin_url" -qc "drop database if exists $db with (force)"
