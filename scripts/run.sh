#!/usr/bin/env bash
# `make run`: install missing tools, build, and run AtlasLens with its embedded database.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"
./scripts/install-tools.sh
./scripts/build-site.sh
bind="${ATLASLENS_BIND:-127.0.0.1:3000}"
if [ -n "${ATLASLENS_CONFIG:-}" ]; then
  cat >&2 <<MSG

  AtlasLens will listen on http://$bind/ and sync the deployments in $ATLASLENS_CONFIG.
  To sign in you need an administrator; create one in another terminal with:
      make admin NAME=yourname
  Stop with Ctrl-C.

MSG
else
  cat >&2 <<MSG

  AtlasLens will listen on http://$bind/ in demo mode: a built-in Atlassian simulator feeds it,
  and the demo administrator's password is printed below once the server is up.
  (Set ATLASLENS_CONFIG to a deployments file to read real Atlassian instead.)
  Stop with Ctrl-C.

MSG
fi
exec "$CARGO_TARGET_DIR/debug/atlaslens" serve --demo
