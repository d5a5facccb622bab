#!/usr/bin/env bash
# The kill loop (issue 9): `atlaslens serve` on its embedded database is killed with SIGKILL at a
# random moment of a large sync, KILLS times, and restarted at once each time, as a service manager
# restarting on failure would. Every restart must come up (`/api/health`); then a final complete
# sync (`atlaslens sync --all --wait`) runs and the events stored per stream must be exactly the
# simulator's manifest (`GET /_sim/manifest`) for the synced window, id for id.
#
# Long (about 8 minutes on two cores), so not part of `make test`. Uses the built binary:
#   cargo build -p server && scripts/kill-loop.sh
# Settings (environment): KILLS (20), EVENTS_PER_DAY (20000; 15 days of them), MAX_UP_SECONDS (12:
# each kill lands 0.5 s to this long after the restart answered), KEEP=1 keeps the work directory.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"

kills=${KILLS:-20}
events_per_day=${EVENTS_PER_DAY:-20000}
max_up=${MAX_UP_SECONDS:-12}
bin="$CARGO_TARGET_DIR/debug/atlaslens"
[ -x "$bin" ] || { echo "no $bin: run \`cargo build -p server\` first" >&2; exit 1; }

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
sim_port=$(free_port)
unset MONGODB_URI
export ATLASLENS_DATA_DIR="$work/data" ATLASLENS_BIND="127.0.0.1:$port" ATLASLENS_EMBEDDED_CACHE_MB=256
# A killed worker's job is taken over after this long, so the sync moves on between kills.
export ATLASLENS_JOB_LEASE_SECONDS=5 ATLASLENS_CONFIG="$work/deployments.toml"
export SIMULATOR_ORG_API_KEY=sim-org-api-key SIMULATOR_SITE_API_TOKEN=sim-site-token SIMULATOR_BITBUCKET_API_TOKEN=sim-bitbucket-token
mkdir -p "$ATLASLENS_DATA_DIR"
sim_url="http://127.0.0.1:$sim_port"
health="http://127.0.0.1:$port/api/health"

server=""
sim=""
cleanup() {
  status=$?
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$sim" ] && kill -TERM "$sim" 2>/dev/null && wait "$sim" 2>/dev/null || true
  if [ "$status" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "work directory kept: $work" >&2; fi
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
started=$(now_ms)

"$bin" simulate --bind "127.0.0.1:$sim_port" --events-per-day "$events_per_day" \
  --config-out "$ATLASLENS_CONFIG" >"$work/simulate.log" 2>&1 &
sim=$!
for _ in $(seq 1 240); do
  [ -s "$ATLASLENS_CONFIG" ] && curl -fsS "$sim_url/_sim/faults" >/dev/null 2>&1 && break
  kill -0 "$sim" 2>/dev/null || { cat "$work/simulate.log" >&2; echo "atlaslens simulate exited" >&2; exit 1; }
  sleep 0.5
done
grep -m1 'records)' "$work/simulate.log" >&2

# Starts serve (log in $work/serve.N.log) and waits until it answers; fails if it exits first.
start_serve() {
  local n=$1 t0
  t0=$(now_ms)
  "$bin" serve >"$work/serve.$n.log" 2>&1 &
  server=$!
  until curl -fsS "$health" >/dev/null 2>&1; do
    if ! kill -0 "$server" 2>/dev/null; then
      echo "start $n: atlaslens serve exited instead of coming up:" >&2
      tail -n 20 "$work/serve.$n.log" >&2
      exit 1
    fi
    if [ $(( $(now_ms) - t0 )) -gt 120000 ]; then
      echo "start $n: not up after 120 s" >&2
      tail -n 20 "$work/serve.$n.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  up_ms=$(( $(now_ms) - t0 ))
}

waited=0
for n in $(seq 0 "$kills"); do
  start_serve "$n"
  wait_ms=$(grep -o 'has exited.*duration_ms=[0-9]*' "$work/serve.$n.log" | grep -o '[0-9]*$' || true)
  if [ -n "$wait_ms" ]; then waited=$((waited + 1)); fi
  # Make sure a sync is under way at the kill (the scheduler's own may have used its attempts).
  "$bin" sync --all >/dev/null
  [ "$n" -eq "$kills" ] && { printf 'start %2d: up in %5d ms%s\n' "$n" "$up_ms" "${wait_ms:+ (waited $wait_ms ms for the old database)}"; break; }
  delay=$(python3 -c "import random; print(round(random.uniform(0.5, $max_up), 1))")
  sleep "$delay"
  kill -KILL "$server"
  wait "$server" 2>/dev/null || true
  printf 'start %2d: up in %5d ms%s, killed %4s s later\n' "$n" "$up_ms" "${wait_ms:+ (waited $wait_ms ms for the old database)}" "$delay"
done

# Everything visible this long before the final sync starts is inside its window.
sim_now=$(curl -fsS "$sim_url/_sim/manifest?from=2000-01-01T00:00:00Z&to=2000-01-01T00:00:01Z" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["sim_now"])')
read -r from to < <(python3 - "$sim_now" <<'EOF'
import sys
from datetime import datetime, timedelta
now = datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
to = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
fmt = "%Y-%m-%dT%H:%M:%SZ"
print((to - timedelta(days=30)).strftime(fmt), to.strftime(fmt))
EOF
)
t0=$(now_ms)
"$bin" sync --all --wait >"$work/final-sync.log" 2>&1 || { cat "$work/final-sync.log" >&2; exit 1; }
echo "final sync --all --wait: done in $(( ($(now_ms) - t0) / 1000 )) s" >&2
"$bin" export --query "from=$from&to=$to" --format ndjson --out "$work/events.ndjson" >"$work/export.log" 2>&1 ||
  { cat "$work/export.log" >&2; exit 1; }
curl -fsS "$sim_url/_sim/manifest?from=$from&to=$to&ids=true" >"$work/manifest.json"
kill -TERM "$server"
wait "$server" || { echo "the last serve did not stop cleanly" >&2; exit 1; }
server=""

python3 - "$work/manifest.json" "$work/events.ndjson" <<'EOF'
import json, sys
manifest = json.load(open(sys.argv[1]))
expected = {}
for s in manifest["sources"]:
    expected.setdefault(f'{s["product"]}/{s["pipeline"]}', set()).update(s["ids"])
stored, rows = {}, 0
for line in open(sys.argv[2]):
    e = json.loads(line)
    rows += 1
    source_id = e["event_id"].split(":", 2)[2]
    stored.setdefault(f'{e["product"]}/{e["pipeline"]}', set()).add(source_id)
ok = True
for stream in sorted(set(expected) | set(stored)):
    want, got = expected.get(stream, set()), stored.get(stream, set())
    missing, extra = want - got, got - want
    ok &= not missing and not extra
    print(f"{stream:22} manifest {len(want):7}  stored {len(got):7}  missing {len(missing)}  extra {len(extra)}")
    for what, ids in (("missing", missing), ("extra", extra)):
        if ids:
            print(f"  {what}, e.g. {sorted(ids)[:8]}")
total = sum(map(len, expected.values()))
print(f"{'total':22} manifest {total:7}  stored {rows:7}")
ok &= rows == sum(map(len, stored.values()))
sys.exit(0 if ok else 1)
EOF
echo "window [$from, $to): the store equals the manifest" >&2
echo "$kills kills, $((kills + 1)) starts all up ($waited waited for the killed server's database); $(( ($(now_ms) - started) / 1000 )) s in all" >&2
