#!/usr/bin/env bash
# Load benchmark of the reference backend as a cluster (scripts/cluster.sh: PostgreSQL, Redis,
# three instances, haproxy), all on 127.0.0.1 and bounded: SSE viewers over the instances and
# one change delivered to all (p50/p99/max, memory per viewer); buyers racing for a deal's
# units across the instances; an instance killed -9 mid-show while viewers resume through the
# proxy. Prints figures and a verdict per target; exits 1 when one is missed. VIEWERS (20000),
# BUYERS (5000), UNITS (100) and RESUMERS (1500) set the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >/dev/null
cargo build --profile server -p live-shop-server --quiet
# Each viewer holds a descriptor here and one in an instance: the soft limit up to the hard one.
ulimit -n "$(ulimit -Hn)"
info=$(mktemp -u "${TMPDIR:-/tmp}/live-shop-load.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LIVE_SHOP_SERVER="$CARGO_TARGET_DIR/server/live-shop-server" CLUSTER_INFO="$info" PORT="$port" \
  DEMO=0 LIVE_SHOP_TOKEN=bench bash scripts/cluster.sh >/dev/null &
cluster=$!
# The benchmark's own status is the script's: stopping the cluster (which exits 130 on its
# signal) must not replace it.
stop_cluster() {
  local status=$?
  kill "$cluster" 2>/dev/null || true
  wait "$cluster" 2>/dev/null || true
  rm -f "$info"
  exit "$status"
}
trap stop_cluster EXIT
for _ in $(seq 1 300); do [ -f "$info" ] && break; sleep 0.2; done
[ -f "$info" ] || { echo "load: the cluster did not start" >&2; exit 1; }
node bench/load.mjs "$info"
