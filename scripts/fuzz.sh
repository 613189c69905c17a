#!/usr/bin/env bash
# Fuzzes untrusted-input entries with cargo fuzz (libFuzzer, AddressSanitizer) for SECONDS each
# (default 600). Usage: scripts/fuzz.sh [TARGET|all] [SECONDS]
#   images:  decode, jpeg_scaled (differential against jpeg-decoder)
#   widget:  protocol (a backend's state and events through the show)
#   server:  manifest, change, cart, adapters, search_query (what clients and shops send)
# Installs a pinned nightly (from Rust's toolchain server) and cargo-fuzz (crates.io) when
# missing. Corpora live in the cache and grow from run to run; the test command runs every
# target briefly (`all 15`). A crash stops with the input saved under fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
NIGHTLY=nightly-2026-05-20
CARGO_FUZZ_VERSION=0.13.2
target="${1:-decode}"
seconds="${2:-600}"
rustup toolchain list | grep -q "^$NIGHTLY" || rustup toolchain install "$NIGHTLY" --profile minimal
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force \
    --target-dir "$LIVE_SHOP_CACHE/install-target"
fi

seed() { # target corpus
  local name=$1 corpus=$2
  # Seeds added to the repository since the corpus was made join it.
  if [ -n "$(ls -A "$corpus")" ]; then
    [ ! -d "fuzz/seeds/$name" ] || cp -n fuzz/seeds/"$name"/* "$corpus/"
    return 0
  fi
  case "$name" in
    decode)
      bash scripts/fetch-test-data.sh
      find "$LIVE_SHOP_CACHE/pillow/pillow-13.0.0/Tests/images" -type f -size -64k -exec cp {} "$corpus/" \;
      cp fuzz/seeds/decode/* "$corpus/" ;;
    jpeg_scaled)
      bash scripts/fetch-test-data.sh
      find "$LIVE_SHOP_CACHE/pillow/pillow-13.0.0/Tests/images" -type f -name '*.jp*g' -size -64k -exec cp {} "$corpus/" \; ;;
    protocol)
      for d in crates/core/tests/fixtures/*/; do cp "$d/state.json" "$corpus/$(basename "$d").json"; done ;;
    *)
      cp fuzz/seeds/"$name"/* "$corpus/" ;;
  esac
}

if [ "$target" = all ]; then
  mapfile -t targets < <(cd fuzz && cargo "+$NIGHTLY" fuzz list)
else
  targets=("$target")
fi
# Sanitizer builds have their own target dir: they must not mix with normal ones.
build=(--release --target-dir "$LIVE_SHOP_CACHE/fuzz-target")
one=()
[ "$target" = all ] || one=("$target")
(cd fuzz && cargo "+$NIGHTLY" fuzz build "${build[@]}" "${one[@]}")
for name in "${targets[@]}"; do
  corpus="$LIVE_SHOP_CACHE/fuzz/$name"
  mkdir -p "$corpus"
  seed "$name" "$corpus"
  log="$LIVE_SHOP_CACHE/fuzz/$name.log"
  if ! (cd fuzz && cargo "+$NIGHTLY" fuzz run "${build[@]}" "$name" "$corpus" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) >"$log" 2>&1; then
    grep -E '^(==|SUMMARY|panicked|thread|Failing input|artifact_prefix|Test unit written)' "$log" | head -30 >&2
    echo "fuzz: $name found a crash (log: $log)" >&2
    exit 1
  fi
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
  printf 'fuzz: %-13s %8s inputs in %ss, %5s coverage edges, corpus %s, no crash\n' \
    "$name" "$runs" "$seconds" "$edges" "$(ls "$corpus" | wc -l)"
done
