#!/usr/bin/env bash
# The HNSW index over N synthetic 1280-d embeddings (default 1,000,000) against the exact scan:
# build time, memory, save and reload, query p50/p99, recall@10, with a verdict per target.
# Usage: scripts/bench-ann.sh [N]. A million takes minutes on two cores and about 1.5 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo build --profile server -p live-shop-server --bin live-shop-bench-ann
exec "$CARGO_TARGET_DIR/server/live-shop-bench-ann" "$@"
