# Shared settings for the build and test scripts (sourced, not run).
# The cargo build cache lives outside the checkout so fresh clones (and CI) reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/atlaslens-target}"
# A fresh clone rebuilds the workspace's own crates anyway (new file times), so their incremental
# data only grows the shared cache (tens of GB over many runs, enough to fill the disk).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
ATLASLENS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ATLASLENS_ROOT
