#!/usr/bin/env bash
# `make test`: install missing tools, then every check and test. Exits non-zero on the first failure.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"
step() { printf '\n==> %s\n' "$*" >&2; }

ATLASLENS_NEED_BROWSER=1 ./scripts/install-tools.sh

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (server side, all targets)"
cargo clippy --all-targets -- -D warnings

step "clippy (browser side, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test (unit and integration tests against a real secantusd-rs)"
cargo test

step "build the site"
./scripts/build-site.sh

step "Playwright end-to-end tests in Chromium"
./scripts/e2e.sh
