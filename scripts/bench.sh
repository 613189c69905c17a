#!/usr/bin/env bash
# Prints the widget's figures: first-load transfer (gzip, brotli) and event-to-paint latency at
# 100 events/s in headless Chromium against the reference backend.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
bash scripts/build-widget.sh >/dev/null
cargo build -p live-shop-server --quiet
echo "== first load"
node bench/size.mjs dist
echo "== live updates"
node bench/updates.mjs "${BENCH_SECONDS:-5}"
