#!/usr/bin/env bash
# Builds the widget into dist/ with Trunk (release, size-optimised). Tools must be installed
# (scripts/setup.sh); --offline makes Trunk fail rather than download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trunk build --release --offline "$@"

# The image worker, built apart from Trunk: with wasm SIMD (+simd128) for the whole crate, so
# LLVM vectorises the codecs' loops as well as fast_image_resize's kernels (which enable SIMD
# per function on their own). Its own target dir, as the flag changes every crate's code. A
# browser without wasm SIMD (Safari before 16.4) cannot start it; the widget then says photo
# search is unavailable there. wasm-opt keeps large functions with one caller out of line,
# because a browser swaps in optimised code only between calls, and the decoder's and
# resizer's per-row functions must stay functions for that.
worker_target="$LIVE_SHOP_CACHE/target-worker-simd"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
  cargo build --profile worker --target wasm32-unknown-unknown -p live-shop-prep-worker \
  --bin live-shop-prep-worker --target-dir "$worker_target"
bindgen_out=$(mktemp -d)
trap 'rm -rf "$bindgen_out"' EXIT
wasm-bindgen --target no-modules --no-typescript --out-dir "$bindgen_out" \
  --out-name live-shop-prep-worker "$worker_target/wasm32-unknown-unknown/worker/live-shop-prep-worker.wasm"
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  --one-caller-inline-max-function-size 200 \
  "$bindgen_out/live-shop-prep-worker_bg.wasm" -o dist/live-shop-prep-worker_bg.wasm
cp "$bindgen_out/live-shop-prep-worker.js" dist/live-shop-prep-worker.js
# The JS, minified: Trunk's own minifier cannot parse wasm-bindgen's output, and the overlay's
# glue is 14 KB gzip of the first load unminified, 10 KB minified. The modules keep their
# exports; the worker's glue (a classic script) keeps its global `wasm_bindgen`.
minify() { terser "$1" --compress --mangle "${@:2}" -o "$1.min" && mv "$1.min" "$1"; }
for js in dist/live-shop.js dist/live-shop-parts.js dist/live-shop-studio.js dist/snippets/*/src/*.js; do
  minify "$js" --module
done
minify dist/live-shop-prep-worker.js
node scripts/sri-dist.mjs dist
# Compressed copies for the reference backend to serve (it picks brotli or gzip per request).
node scripts/compress-dist.mjs dist
