#!/usr/bin/env bash
# Where our server's CPU goes for one shape of the benchmark: bench/profile.sh [shape]
# (default first3; a shape is one of bench/results/<shape>-ours.jsonl, written by
# bench/run.sh, whose large database it reuses). Starts the release server on its own port,
# loads it with wrk as run.sh does for 10 s under `perf record`, and prints the hottest
# functions (self time) and the report's path. Needs perf (linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHAPE=${1:-first3}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
OUT=$ROOT/bench/results
BODIES=$OUT/$SHAPE-ours.jsonl
[ -s "$BODIES" ] || { echo "no $BODIES: run bench/run.sh first" >&2; exit 1; }
export PORTAL_JWT_SECRET=${PORTAL_JWT_SECRET:-benchmark-secret-of-at-least-32-characters}
cargo build --release -q
BIN=$ROOT/target/release/portal-api
PORT=18090
DATABASE_URL="$PG/portal_bench_large?sslmode=disable" PORTAL_BIND=127.0.0.1:$PORT RUST_LOG=warn \
  PORTAL_SCHEDULER_POLL_SECS=0 PORTAL_RATE_LIMIT_BURST=1000000000 \
  PORTAL_RATE_LIMIT_PER_SECOND=1000000000 "$BIN" serve >"$OUT/profile-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.1; done
TOKEN="Bearer $(DATABASE_URL=$PG/portal_bench_large "$BIN" token --login bench-m000001 --ttl 1h)"
# Warm the caches, then record while loading.
BODIES=$BODIES AUTH=$TOKEN CONNS=32 wrk -t2 -c32 -d3s -s bench/post.lua "http://127.0.0.1:$PORT/graphql" >/dev/null
perf record -F 499 -g -p "$SERVER" -o "$OUT/profile-$SHAPE.data" -- sleep 10 >/dev/null 2>&1 &
PERF=$!
BODIES=$BODIES AUTH=$TOKEN CONNS=32 wrk -t2 -c32 -d10s -s bench/post.lua "http://127.0.0.1:$PORT/graphql" \
  | grep -E '^(RPS|P99)' || true
wait "$PERF" || true
perf report -i "$OUT/profile-$SHAPE.data" --no-children --sort symbol --stdio 2>/dev/null \
  | grep -E '^ +[0-9]' | head -40
echo "report: perf report -i $OUT/profile-$SHAPE.data"
