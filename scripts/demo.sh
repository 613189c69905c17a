#!/usr/bin/env bash
# Installs what is missing, builds the widget and the reference backend, and serves the demo at
# http://127.0.0.1:${PORT:-8080} (widget, API and sample media on one origin). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
bash scripts/build-widget.sh
cargo build --profile server -p live-shop-server
echo "==> demo at http://127.0.0.1:${PORT:-8080}/  (stream control token: demo-token)"
exec "$CARGO_TARGET_DIR/server/live-shop-server" --dist dist --media "$LIVE_SHOP_CACHE/media" \
  --model "$LIVE_SHOP_CACHE/models/efficientnet-lite0.safetensors" \
  --search-index "$LIVE_SHOP_CACHE/search-index.json" \
  --overlay-db "$LIVE_SHOP_CACHE/overlays.sqlite" \
  --creator-token "${LIVE_SHOP_TOKEN:-demo-token}" "$@"
