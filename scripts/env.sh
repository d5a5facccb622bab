# Shared settings for the build and test scripts (sourced, not run).
# The cargo build cache lives outside the checkout so fresh clones (and CI) reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/atlaslens-target}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
ATLASLENS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ATLASLENS_ROOT
