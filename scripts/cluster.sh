#!/usr/bin/env bash
# Runs the reference backend as a cluster on 127.0.0.1, every part a local process under one
# temporary folder: PostgreSQL (carts, stock, manifests), Redis (the live bus), INSTANCES (3)
# server instances sharing both, and haproxy in front of them at http://127.0.0.1:${PORT:-8090}/
# (widget, API and sample media). Instance 1 runs the demo show (DEMO=0: none). Ctrl-C stops
# everything and removes the folder.
#
# For tests and the load benchmark: LIVE_SHOP_SERVER names a server binary already built (no
# setup, no build); CLUSTER_INFO names a file that gets `proxy URL`, then `instance URL PID NAME`
# per instance, once everything answers (NAME is what the proxy's X-Served-By header says of
# responses from that instance); SERVER_ARGS holds more flags for every instance (split on
# spaces); START_SECS is how long an instance may take to answer (60). SIGUSR1 stops every
# instance, as an outage would, and SIGUSR2 starts them again on the same ports.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PORT="${PORT:-8090}"
INSTANCES="${INSTANCES:-3}"
DEMO="${DEMO:-1}"
TOKEN="${LIVE_SHOP_TOKEN:-demo-token}"
START_SECS="${START_SECS:-60}"
read -ra extra <<<"${SERVER_ARGS:-}"
if [ -z "${LIVE_SHOP_SERVER:-}" ]; then
  bash scripts/setup.sh
  bash scripts/build-widget.sh
  cargo build --profile server -p live-shop-server
  LIVE_SHOP_SERVER="$CARGO_TARGET_DIR/server/live-shop-server"
fi
for tool in redis-server haproxy; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
# Every viewer holds a descriptor in an instance, and two in the proxy.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d "${TMPDIR:-/tmp}/live-shop-cluster.XXXXXX")
pids=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
owner=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; owner=(runuser -u postgres --); fi
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$work/data/postmaster.pid" ]; then
    "${owner[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "cluster: $what did not start; its log:" >&2
  tail -20 "$work/$what.log" >&2 || true
  exit 1
}

pg_port=$(free_port)
"${owner[@]}" "$pg_bin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync >"$work/initdb.log"
"${owner[@]}" "$pg_bin/postgres" -D "$work/data" -k "$work" -p "$pg_port" \
  -c listen_addresses=127.0.0.1 -c max_connections=200 >"$work/postgres.log" 2>&1 &
pids+=("$!")
wait_for postgres 30 "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c 'CREATE DATABASE shop'

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" \
  --maxclients 10000 >"$work/redis.log" 2>&1 &
pids+=("$!")
wait_for redis 20 redis-cli -p "$redis_port" ping

ports=()
urls=()
info=()
instance_pids=()
start_instance() { # i (from 1)
  local i=$1 demo=(--no-demo-show)
  [ "$DEMO" = 1 ] && [ "$i" = 1 ] && demo=()
  "$LIVE_SHOP_SERVER" --port "${ports[$i - 1]}" --dist dist --media "$LIVE_SHOP_CACHE/media" \
    --database "postgres://postgres@127.0.0.1:$pg_port/shop" --bus "redis://127.0.0.1:$redis_port/0" \
    --public-url "http://127.0.0.1:$PORT" --forwarded-for --creator-token "$TOKEN" "${demo[@]}" "${extra[@]}" \
    >>"$work/server-$i.log" 2>&1 &
  instance_pids[$i - 1]=$!
  pids+=("$!")
  # One at a time: the first creates the schema and the show, the others join them.
  wait_for "server-$i" "$START_SECS" curl -sf "${urls[$i - 1]}/v1/catalog?limit=1"
}
for i in $(seq 1 "$INSTANCES"); do
  ports+=("$(free_port)")
  urls+=("http://127.0.0.1:${ports[-1]}")
  start_instance "$i"
  info+=("instance ${urls[-1]} ${instance_pids[-1]} s$i")
done
stop_instances() {
  for pid in "${instance_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${instance_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "==> every instance stopped" >&2
}
start_instances() {
  for i in $(seq 1 "$INSTANCES"); do start_instance "$i"; done
  echo "==> every instance started again" >&2
}
trap stop_instances USR1
trap start_instances USR2

{
  cat <<EOF
global
  # Two descriptors per connection (viewer and instance) within the open-files limit.
  maxconn $(( ($(ulimit -n) - 200) / 2 ))
defaults
  mode http
  # The instances know each shopper by this (--forwarded-for), for visual search's pace.
  option forwardfor
  option redispatch
  retries 3
  timeout connect 2s
  # SSE viewers keep their connections: a long server and client timeout, a short head one.
  timeout client 1h
  timeout server 1h
  timeout http-request 10s
  timeout http-keep-alive 10s
frontend web
  bind 127.0.0.1:$PORT
  default_backend live
backend live
  balance leastconn
  option httpchk GET /v1/catalog?limit=1
  http-check expect status 200
  default-server inter 500ms fall 1 rise 2 on-marked-down shutdown-sessions
  # Which instance answered (s1 is the first): a journey kills the one holding its stream.
  http-response set-header X-Served-By %[srv_name]
EOF
  for i in "${!urls[@]}"; do echo "  server s$((i + 1)) ${urls[$i]#http://} check"; done
} >"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=("$!")
wait_for haproxy 20 curl -sf "http://127.0.0.1:$PORT/v1/catalog?limit=1"

if [ -n "${CLUSTER_INFO:-}" ]; then
  printf '%s\n' "proxy http://127.0.0.1:$PORT" "${info[@]}" >"$CLUSTER_INFO.part"
  mv "$CLUSTER_INFO.part" "$CLUSTER_INFO"
fi
echo "==> cluster at http://127.0.0.1:$PORT/  (${INSTANCES} instances: ${urls[*]}; logs in $work)"
echo "    stream control token: $TOKEN; Ctrl-C stops it"
# Until stopped, or until a part of the cluster other than a server instance ends.
# `wait` on a background sleep lets a signal's trap run at once.
proxy_pid=${pids[-1]}
while true; do
  sleep 1 & wait $! || true
  for pid in "${pids[0]}" "${pids[1]}" "$proxy_pid"; do
    kill -0 "$pid" 2>/dev/null || { echo "cluster: a part stopped (pid $pid); see $work" >&2; exit 1; }
  done
done
