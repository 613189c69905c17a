#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting and lints (host and wasm32), native
# tests of core and server, a short fuzz run (cargo fuzz on a pinned nightly), component tests
# in headless Chromium, and the Playwright journeys against the real reference backend, run as
# one process and then as a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "cargo fmt"
cargo fmt --all -- --check
step "clippy (host)"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32: widget, search panel, worker)"
cargo clippy -p live-shop -p live-shop-prep-worker --target wasm32-unknown-unknown --all-targets -- -D warnings
step "native tests: core (with the image pipeline), server, live-shop-prep, the embedding model"
cargo test -p live-shop-core --features live-shop-core/prep -p live-shop-server -p live-shop-prep -p live-shop-embed
step "a short fuzz run of every target: images, protocol, and what clients and shops send the server"
bash scripts/fuzz.sh all 15
step "component tests in headless Chromium"
cargo test -p live-shop --target wasm32-unknown-unknown
step "widget build"
bash scripts/build-widget.sh
step "journeys in Chromium against the reference backend"
cargo build -p live-shop-server
(cd e2e && npm test)
step "the same journeys against a cluster: PostgreSQL, Redis, three instances, haproxy"
(cd e2e && npm run test:cluster)
