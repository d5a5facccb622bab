#!/usr/bin/env bash
# Runs the Playwright suite against a freshly started AtlasLens (embedded database in a temporary
# data directory, a seeded administrator, a free port), then stops it and checks it stopped cleanly.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"

# ATLASLENS_E2E_BIN runs another binary, or a wrapper of it (scripts/at-time.sh fakes the clock).
bin="${ATLASLENS_E2E_BIN:-$CARGO_TARGET_DIR/debug/atlaslens}"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
unset MONGODB_URI
export ATLASLENS_DATA_DIR="$data" ATLASLENS_BIND="127.0.0.1:$port" ATLASLENS_EMBEDDED_CACHE_MB=256
export E2E_USERNAME=e2e-admin
E2E_PASSWORD="e2e-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
export E2E_PASSWORD

# The Atlassian simulator, and a deployment reading it (its fixture credentials by variable name).
sim_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" simulate --bind "127.0.0.1:$sim_port" --config-out "$data/deployments.toml" >"$data/simulate.log" 2>&1 &
sim=$!
export SIM_URL="http://127.0.0.1:$sim_port" ATLASLENS_CONFIG="$data/deployments.toml"
export SIMULATOR_ORG_API_KEY=sim-org-api-key SIMULATOR_SITE_API_TOKEN=sim-site-token SIMULATOR_BITBUCKET_API_TOKEN=sim-bitbucket-token
# Stand-ins for Slack, Jira, a signed webhook and syslog, so alerts can be followed to where they
# land; AtlasLens must be allowed to send to loopback for them.
receivers_bin="$CARGO_TARGET_DIR/debug/test-receivers"
cargo build -q -p testkit --bin test-receivers
"$receivers_bin" "127.0.0.1:0" "$data/receivers.json" >"$data/receivers.log" 2>&1 &
receivers=$!
export ATLASLENS_ALLOW_PRIVATE_DESTINATIONS=1 RECEIVERS_FILE="$data/receivers.json"

server=""
cleanup() {
  kill -TERM "$receivers" 2>/dev/null || true
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true
  [ -n "$server" ] && wait "$server" 2>/dev/null || true
  kill -TERM "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  [ -s "$data/deployments.toml" ] && curl -fsS "$SIM_URL/_sim/faults" >/dev/null 2>&1 && break
  kill -0 "$sim" 2>/dev/null || { cat "$data/simulate.log" >&2; echo "atlaslens simulate exited" >&2; exit 1; }
  sleep 0.5
done
for _ in $(seq 1 60); do
  [ -s "$RECEIVERS_FILE" ] && break
  kill -0 "$receivers" 2>/dev/null || { cat "$data/receivers.log" >&2; echo "test-receivers exited" >&2; exit 1; }
  sleep 0.5
done

printf '%s\n' "$E2E_PASSWORD" | "$bin" seed-admin --username "$E2E_USERNAME" --password-stdin
"$bin" serve >"$data/serve.log" 2>&1 &
server=$!

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$data/serve.log" >&2; echo "atlaslens serve exited" >&2; exit 1; }
  sleep 0.5
done

status=0
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "---- atlaslens serve log (last 50 lines) ----" >&2
  tail -n 50 "$data/serve.log" >&2
fi
exit "$status"
