#!/usr/bin/env bash
# Fuzzes an untrusted-input entry with cargo fuzz (libFuzzer) for SECONDS (default 600).
# Usage: scripts/fuzz.sh [decode|jpeg_scaled|protocol] [SECONDS]
# Needs nightly (installed from Rust's toolchain server) and cargo-fuzz (crates.io). The image
# target starts from Pillow's test images (scripts/fetch-test-data.sh); corpora live in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
target="${1:-decode}"
seconds="${2:-600}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus="$LIVE_SHOP_CACHE/fuzz/$target"
mkdir -p "$corpus"
if [ "$target" = decode ] && [ -z "$(ls -A "$corpus")" ]; then
  bash scripts/fetch-test-data.sh
  find "$LIVE_SHOP_CACHE/pillow/pillow-13.0.0/Tests/images" -type f -size -64k -exec cp {} "$corpus/" \;
fi
if [ "$target" = jpeg_scaled ] && [ -z "$(ls -A "$corpus")" ]; then
  bash scripts/fetch-test-data.sh
  find "$LIVE_SHOP_CACHE/pillow/pillow-13.0.0/Tests/images" -type f -name '*.jp*g' -size -64k -exec cp {} "$corpus/" \;
fi
if [ "$target" = protocol ] && [ -z "$(ls -A "$corpus")" ]; then
  cp crates/core/tests/fixtures/*/state.json "$corpus/" 2>/dev/null || true
  for d in crates/core/tests/fixtures/*/; do cp "$d/state.json" "$corpus/$(basename "$d").json"; done
fi
# The fuzz crate has its own target dir: sanitizer builds must not mix with normal ones.
CARGO_TARGET_DIR="$LIVE_SHOP_CACHE/fuzz-target" cargo +nightly fuzz run "$target" "$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 2>&1 | tee "$LIVE_SHOP_CACHE/fuzz/$target.log" | grep -E '^(#|==|INFO|SUMMARY|Done)' | tail -20
