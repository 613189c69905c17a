#!/usr/bin/env bash
# Visual search on shoppers' own photos: the grocery-val development set (see
# ../shared/grocery-val/README.md) indexed and searched through the server's own paths, every
# photo sent raw and as each of the widget's upload profiles. Prints recall@1/5/10 and MRR per
# group, latency and how far `close` holds; exits 1 when a target is missed.
# Usage: scripts/eval-shoppers.sh [--data DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo build --profile server -p live-shop-server --bin live-shop-eval-shoppers
exec "$CARGO_TARGET_DIR/server/live-shop-eval-shoppers" "$@"
