#!/usr/bin/env bash
# Builds the widget into dist/ with Trunk (release, size-optimised). Tools must be installed
# (scripts/setup.sh); --offline makes Trunk fail rather than download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trunk build --release --offline "$@"
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
