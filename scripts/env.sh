# Shared environment for live-shop scripts: caches outside the clone, pinned tools on PATH.
export LIVE_SHOP_CACHE="${LIVE_SHOP_CACHE:-$HOME/.cache/live-shop}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LIVE_SHOP_CACHE/target}"
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export PATH="$HOME/.cargo/bin:$LIVE_SHOP_CACHE/npm-tools/node_modules/.bin:$PATH"
mkdir -p "$LIVE_SHOP_CACHE"
