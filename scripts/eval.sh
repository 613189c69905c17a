#!/usr/bin/env bash
# Prints visual search's recall@1/@5 and upload bytes: full-resolution photos against each
# profile of the widget's pipeline, on generated queries. Usage: scripts/eval.sh [--per-item N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo build --profile server -p live-shop-server --bin live-shop-eval
exec "$CARGO_TARGET_DIR/server/live-shop-eval" "$@"
