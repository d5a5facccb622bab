#!/usr/bin/env bash
# Builds the site the way cargo-leptos would, with plain cargo and wasm-bindgen: the hydration
# bundle (wasm32) into target/site/pkg, the stylesheet and public assets, and the server binary.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ATLASLENS_ROOT"

site=target/site
pkg="$site/pkg"
expected=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
actual=$(wasm-bindgen --version | awk '{print $2}')
if [ "$expected" != "$actual" ]; then
  echo "wasm-bindgen CLI $actual does not match the crate version $expected in Cargo.lock; run scripts/install-tools.sh" >&2
  exit 1
fi

echo "==> building the browser bundle (wasm32)" >&2
cargo build -p frontend --lib --target wasm32-unknown-unknown
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-name atlaslens --out-dir "$pkg" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/debug/frontend.wasm"
cp style/main.css "$pkg/atlaslens.css"
cp -r public/. "$site/"

echo "==> building the server" >&2
cargo build -p server --bin atlaslens
