#!/usr/bin/env bash
# Builds the widget into dist/ with Trunk (release, size-optimised). Tools must be installed
# (scripts/setup.sh); --offline makes Trunk fail rather than download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trunk build --release --offline "$@"
# Compressed copies for the reference backend to serve (it picks brotli or gzip per request).
node scripts/compress-dist.mjs dist
