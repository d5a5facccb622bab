#!/usr/bin/env bash
# Runs the tests as if it were another moment, to find tests that depend on the time of day or the
# weekday: `scripts/at-time.sh '2026-12-06 00:04'` (UTC). The unit and integration tests run
# under libfaketime whole; for the Playwright suite only AtlasLens and its simulator see the faked
# clock (Chromium and Node are left alone), shifted by the same offset so they agree. Needs a built
# tree (`make test` once) and Debian's `faketime`, which it installs when missing. Not part of
# `make test`: one run takes as long as the suite.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"
at="${1:?give a UTC time, e.g. '2026-12-06 00:04'}"
if ! command -v faketime >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi
offset=$(( $(date -u -d "$at" +%s) - $(date -u +%s) ))
fake=(env TZ=UTC faketime -m --exclude-monotonic -f "+${offset}s")
# Built at the real time first: cargo stalls when it has to compile under libfaketime.
cargo test --tests --no-run
printf '==> cargo test as at %s UTC (offset %+d s)\n' "$at" "$offset" >&2
# --tests leaves out the doc tests: rustdoc stalls under libfaketime.
"${fake[@]}" cargo test --tests
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${fake[*]}" "$CARGO_TARGET_DIR/debug/atlaslens" >"$wrapper"
chmod +x "$wrapper"
printf '==> Playwright as at %s UTC\n' "$at" >&2
ATLASLENS_E2E_BIN="$wrapper" ./scripts/e2e.sh
