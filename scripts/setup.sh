#!/usr/bin/env bash
# Installs whatever is missing for the demo and the tests, and skips what is installed at the
# right version. Everything comes from the package registries (crates.io, npm, Debian, PyPI) and
# Rust's toolchain server; heavy caches live in $LIVE_SHOP_CACHE (~/.cache/live-shop), outside
# the clone. Usage: scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.51.2
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

apt_updated=
apt_update() { [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }; }
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing Debian's chromium and chromium-driver"
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# PostgreSQL: the server's tests start a cluster of their own from Debian's package.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing Debian's postgresql (the server's tests start a database of their own)"
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# Redis and haproxy: the bus tests start a Redis of their own; the cluster (scripts/cluster.sh)
# runs both. Debian's packages may start system services; nothing here uses them.
if ! command -v redis-server >/dev/null || ! command -v haproxy >/dev/null; then
  say "installing Debian's redis-server and haproxy (the live bus and the cluster's proxy)"
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server haproxy >/dev/null
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 10 minutes, once)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install trunk --version "$TRUNK_VERSION" --locked --target-dir "$LIVE_SHOP_CACHE/install-target"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
  # Not --locked: its lockfile names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force --target-dir "$LIVE_SHOP_CACHE/install-target"
fi

if [ "$(wasm-opt --version 2>/dev/null)" != "wasm-opt version ${BINARYEN_VERSION%%.*} (version_${BINARYEN_VERSION%%.*})" ]; then
  say "installing wasm-opt from npm binaryen@$BINARYEN_VERSION"
  mkdir -p "$LIVE_SHOP_CACHE/npm-tools"
  npm install --prefix "$LIVE_SHOP_CACHE/npm-tools" --cache "$LIVE_SHOP_CACHE/npm" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

if [ "$(terser --version 2>/dev/null)" != "terser $TERSER_VERSION" ]; then
  say "installing terser $TERSER_VERSION from npm (minifies the widget's JS)"
  mkdir -p "$LIVE_SHOP_CACHE/npm-tools"
  npm install --prefix "$LIVE_SHOP_CACHE/npm-tools" --cache "$LIVE_SHOP_CACHE/npm" --no-audit --no-fund --silent "terser@$TERSER_VERSION"
fi

lock_sum=$(sha256sum e2e/package-lock.json | cut -d' ' -f1)
if [ "$(cat e2e/node_modules/.lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  say "installing the journeys' npm packages"
  (cd e2e && npm ci --cache "$LIVE_SHOP_CACHE/npm" --no-audit --no-fund --silent)
  echo "$lock_sum" > e2e/node_modules/.lock-sum
fi

bash scripts/fetch-media.sh
bash scripts/fetch-test-data.sh
