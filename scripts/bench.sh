#!/usr/bin/env bash
# Prints the widget's figures: first-load transfer (gzip, brotli), event-to-paint latency at
# 100 events/s, and visual search's photo preparation against pica, browser-image-compression,
# compressorjs and the browser's own paths, all in headless Chromium against the reference
# backend. BENCH_SECONDS sets the update run's length, BENCH_RUNS the warm runs per photo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
bash scripts/fetch-test-data.sh
bash scripts/fetch-bench-photos.sh
(cd bench && npm ci --cache "$LIVE_SHOP_CACHE/npm" --no-audit --no-fund --silent)
bash scripts/build-widget.sh >/dev/null
cargo build -p live-shop-server --quiet
# Every benchmark runs and prints its figures; the script exits 1 if one missed a target.
status=0
echo "== first load"
node bench/size.mjs dist || status=1
echo "== live updates"
node bench/updates.mjs "${BENCH_SECONDS:-5}" || status=1
echo "== photo preparation"
node bench/prep.mjs "${BENCH_RUNS:-9}" || status=1
exit "$status"
