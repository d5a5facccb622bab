#!/usr/bin/env bash
# Installs every tool AtlasLens needs to build, run and test, skipping each one that is already
# present at the right version. Safe to re-run. Used by `make run`, `make test` and `.ci/run`.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130      # must equal the wasm-bindgen crate version in Cargo.lock
SECANTUS_VERSION=0.5.3-beta.196
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

log() { printf '==> %s\n' "$*" >&2; }

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
if [ "${ATLASLENS_NEED_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing apt packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli: its published lockfile pins a webpki-roots release the registry lacks, so build
# it from a copy of its source with that one crate stepped back.
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 7 minutes, once)"
  cargo info "wasm-bindgen-cli@$WASM_BINDGEN_VERSION" >/dev/null 2>&1
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/index.crates.io-*/"wasm-bindgen-cli-$WASM_BINDGEN_VERSION" | head -1)
  work=$(mktemp -d)
  cp -r "$src" "$work/wbg"
  (cd "$work/wbg" && cargo update -q -p webpki-roots --precise 1.0.10)
  cargo install -q --path "$work/wbg" --locked --force
  rm -rf "$work"
fi

# secantusd-rs: the MongoDB-wire server for the embedded default, dev and tests. Skipped when a real
# mongod is on the PATH and ATLASLENS_SKIP_SECANTUS=1.
if ! command -v secantusd-rs >/dev/null 2>&1 && [ "${ATLASLENS_SKIP_SECANTUS:-0}" != 1 ]; then
  log "building secantusd-rs $SECANTUS_VERSION (10-15 minutes, once)"
  cargo install -q secantus-mdb --version "$SECANTUS_VERSION" --ignore-rust-version --locked
fi

if [ "${ATLASLENS_NEED_BROWSER:-0}" = 1 ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -d "$root/end2end/node_modules/@playwright/test" ]; then
    log "installing the end-to-end test packages (npm ci)"
    (cd "$root/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
