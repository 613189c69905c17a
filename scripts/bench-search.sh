#!/usr/bin/env bash
# Visual search's figures with the real model over the sample shop, built as the server runs
# (the `server` profile): the embedding on one core, indexing the catalog, queries over loopback
# HTTP (one shopper, 8 at once), and 32 hostile uploads (peak memory, other endpoints meanwhile).
# Prints a verdict per target and exits 1 when one is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo build --profile server -p live-shop-server --bin live-shop-bench-search
exec "$CARGO_TARGET_DIR/server/live-shop-bench-search" "$@"
