#!/usr/bin/env bash
# `make admin NAME=…`: create an administrator (the password is asked for twice, hidden).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"
name="${1:-}"
if [ -z "$name" ]; then
  echo "usage: make admin NAME=yourname" >&2
  exit 2
fi
bin="$CARGO_TARGET_DIR/debug/atlaslens"
[ -x "$bin" ] || { ./scripts/install-tools.sh && ./scripts/build-site.sh; }
exec "$bin" seed-admin --username "$name"
