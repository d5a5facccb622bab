#!/usr/bin/env bash
# `make run`: install missing tools, build, and run AtlasLens with its embedded database.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"
./scripts/install-tools.sh
./scripts/build-site.sh
bind="${ATLASLENS_BIND:-127.0.0.1:3000}"
cat >&2 <<MSG

  AtlasLens will listen on http://$bind/
  To sign in you need an administrator; create one in another terminal with:
      make admin NAME=yourname
  Stop with Ctrl-C.

MSG
exec "$CARGO_TARGET_DIR/debug/atlaslens" serve
