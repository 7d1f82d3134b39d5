#!/usr/bin/env bash
# The benchmark, one command: bench/run.sh
#
# On fresh PostgreSQL databases filled by `portal-api seed --bench` (then VACUUM ANALYZE),
# starts portal-api (release) and PostGraphile 5 (Node 22) as its documentation runs it in
# production (bench/peer.mjs: one worker per core behind Node's cluster module) over the same
# database, and drives both with wrk on equivalent operations:
#   - saturated: 2 threads x 32 connections, 10 s, 3 rounds alternating A B A B;
#   - at a fixed rate both sustain (half the slower one's saturated rate, 16 connections);
#   - the physical limit: the statements each server sent for one request (captured from
#     PostgreSQL's log, bench/floor.py) replayed by pgbench at the same concurrency, and a
#     plain HTTP floor (our /healthz, and a Node cluster answering a fixed body);
# then the growth run (the same page on the small and the large database) and the billing
# run (`portal-api bill`: 1 and 8 workers side by side on the small database, 8 workers on
# the large one, last because it writes invoices). Writes bench/results/*, BENCHMARKS.md and
# bench/chart.svg. CPU is read from /proc for every process of a server (the peer's primary
# and its workers) and for every PostgreSQL process.
#
# Knobs (environment): BENCH_PG (server URL without database), BENCH_SUBS (sub-accounts per
# main, 120), BENCH_MAINS_SMALL (66: ~25k services), BENCH_MAINS_LARGE (2800: ~1M services),
# BENCH_USAGE_DAYS_LARGE (usage days in the large database, 3), BENCH_DURATION (10s),
# BENCH_ROUNDS (3), BENCH_REUSE=1 (keep databases already filled by a previous run),
# BENCH_BILL_LARGE=0 (leave out billing the large database, a quarter of an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
SUBS=${BENCH_SUBS:-120}
MAINS_SMALL=${BENCH_MAINS_SMALL:-66}
MAINS_LARGE=${BENCH_MAINS_LARGE:-2800}
USAGE_LARGE=${BENCH_USAGE_DAYS_LARGE:-3}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=$ROOT/bench/results
# One signing secret for every server and token of the run (both databases).
export PORTAL_JWT_SECRET=${PORTAL_JWT_SECRET:-benchmark-secret-of-at-least-32-characters}
mkdir -p "$OUT"
# Results of earlier runs go; the seed reports stay while their databases are reused.
find "$OUT" \( -name '*.txt' -o -name '*.sql' \) ! -name 'seed-*' -delete

# --- tools -------------------------------------------------------------------------------
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
[ -x bench/node_modules/.bin/node ] || (cd bench && npm ci --no-audit --no-fund)
cargo build --release -q
BIN=$ROOT/target/release/portal-api
NODE=$ROOT/bench/node_modules/.bin/node
pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
until pg_isready -q -h 127.0.0.1; do sleep 0.2; done

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# --- data --------------------------------------------------------------------------------
fill() { # name mains usage-days
  local db=$1
  if [ "${BENCH_REUSE:-0}" = 1 ] && psql -Atq "$PG/$db" -c "select 1 from accounts limit 1" 2>/dev/null | grep -q 1; then
    echo "reusing $db"; maintain "$db"; return
  fi
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  local t0=$SECONDS
  DATABASE_URL=$PG/$db RUST_LOG=warn "$BIN" seed --bench --mains "$2" --subs-per-main "$SUBS" --usage-days "$3" | tee "$OUT/seed-$db.txt"
  echo "seconds $((SECONDS - t0))" >> "$OUT/seed-$db.txt"
  maintain "$db"
}
# Fresh statistics and visibility map, as a maintained production database has, and no dead
# index entries: a reused database carries the last run's mutation rounds, which update the
# very services the pages read, and a plain VACUUM leaves their index entries when under 2%
# of the table's pages have any (the wide page read a third more buffers so).
maintain() { psql -q "$PG/$1" -c "VACUUM (INDEX_CLEANUP ON, ANALYZE)"; }
fill portal_bench_small "$MAINS_SMALL" 30
fill portal_bench_large "$MAINS_LARGE" "$USAGE_LARGE"

# --- servers -----------------------------------------------------------------------------
start_ours() { # db port
  # sslmode=disable: node-pg (PostGraphile) talks plain TCP to localhost; so does ours here.
  # No scheduler: the generated data has ~100k services whose end date has passed, and
  # archiving them at first start (a write each, with activity and notification) loaded
  # the database under the first operations of a run, both servers' alike.
  DATABASE_URL="$PG/$1?sslmode=disable" PORTAL_BIND=127.0.0.1:$2 RUST_LOG=warn PORTAL_SCHEDULER_POLL_SECS=0 \
    PORTAL_RATE_LIMIT_BURST=1000000000 PORTAL_RATE_LIMIT_PER_SECOND=1000000000 \
    PORTAL_METRICS_TOKEN=bench-metrics "$BIN" serve >"$OUT/server-$1-$2.log" 2>&1 &
  PIDS+=($!)
  until curl -sf "http://127.0.0.1:$2/readyz" >/dev/null; do sleep 0.1; done
}
start_peer() { # db port
  (cd bench && DATABASE_URL=$PG/$1 PORT=$2 NODE_ENV=production exec "$NODE" \
    peer.mjs >"$OUT/peer-$1-$2.log" 2>&1) &
  PIDS+=($!)
  until curl -sf -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
    "http://127.0.0.1:$2/graphql" >/dev/null; do sleep 0.2; done
}
pid_on() { # port -> pid of the process listening there
  ss -Htlnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

start_ours portal_bench_large 18080
start_ours portal_bench_small 18081
start_peer portal_bench_large 15678
OURS_PID=$(pid_on 18080)
# The peer's primary (its workers are its children; `family` finds them).
PEER_PID=$!
(cd bench && PORT=15679 exec "$NODE" hello.mjs >"$OUT/hello.log" 2>&1) &
PIDS+=($!)
HELLO_PID=$!
until curl -sf http://127.0.0.1:15679/ >/dev/null; do sleep 0.1; done

# --- operations --------------------------------------------------------------------------
export DATABASE_URL=$PG/portal_bench_large
ADMIN="Bearer $("$BIN" token --admin --ttl 2h)"
MAIN_LOGIN=bench-m000001
MAIN_TOKEN="Bearer $("$BIN" token --login $MAIN_LOGIN --ttl 2h)"
for port in 18080 18081; do
  # The benchmark's main account manages its sub-accounts and may see independent ones.
  DATABASE_URL=$PG/$([ $port = 18080 ] && echo portal_bench_large || echo portal_bench_small) \
    python3 bench/bodies.py setup "$port" "$("$BIN" token --admin --ttl 2h)" "$MAIN_LOGIN"
done
python3 bench/bodies.py write "$PG/portal_bench_large" "$MAIN_LOGIN" "$OUT"

syncs() { # port -> the viewer cache's syncs so far (nothing from the peer)
  curl -s -H "Authorization: Bearer bench-metrics" "http://127.0.0.1:$1/metrics" | awk '/^portal_viewer_cache_syncs_total/ {print $2}'
}
family() { # pid -> it and its children (the peer's workers)
  echo "$1" $(pgrep -P "$1")
}
ticks() { # pids -> CPU ticks (user + system) of these processes and of their children that
  # ended: PostgreSQL's backends come and go (PostGraphile's pool closes idle connections), and
  # the postmaster collects the time of each one that ends.
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{s += $14 + $15 + $16 + $17} END {print s + 0}'
}
spent() { # ticks-before ticks-after -> CPU seconds
  awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / hz}'
}
run_wrk() { # label port bodies auth pid [url-path]
  local label=$1 port=$2 bodies=$3 auth=$4 pid=$5 path=${6:-/graphql} s0 own0 pg0 procs p
  procs=""
  if [ -n "$pid" ]; then procs=$(family "$pid"); fi
  for p in $procs; do echo 5 > "/proc/$p/clear_refs"; done
  s0=$(syncs "$port")
  # CPU of the server and of PostgreSQL (every backend: the server's statements) in the round.
  [ -n "$pid" ] && own0=$(ticks $procs) && pg0=$(ticks $(pgrep -x postgres))
  BODIES=$bodies AUTH=$auth CONNS=${CONNS:-32} wrk -t2 -c"${CONNS:-32}" -d"$DURATION" --latency \
    -s bench/post.lua "http://127.0.0.1:$port$path" > "$OUT/$label.txt"
  if [ -n "$pid" ]; then
    echo "CPU_S $(spent "$own0" "$(ticks $procs)")" >> "$OUT/$label.txt"
    echo "PG_CPU_S $(spent "$pg0" "$(ticks $(pgrep -x postgres))")" >> "$OUT/$label.txt"
  fi
  # The viewer's syncs (one per batch of requests, on the listener's connection).
  [ -n "$s0" ] && echo "SYNCS $(( $(syncs "$port") - s0 ))" >> "$OUT/$label.txt"
  # Peak resident memory of the server: the sum over its processes.
  [ -n "$pid" ] && for p in $procs; do grep VmHWM "/proc/$p/status"; done \
    | awk '{s += $2} END {print "RSS_KB", s}' >> "$OUT/$label.txt"
  grep -E '^(RPS|P99|BAD)' "$OUT/$label.txt" | tr '\n' ' '; echo " <- $label"
}
rps_of() { # label -> the median requests/s of its rounds
  cat "$OUT/$1"-[0-9]*.txt | awk '/^RPS/ {print $2}' | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
statements() { # port bodies auth -> statements per request (from /metrics), over 20 requests
  local port=$1 bodies=$2 auth=$3 before after
  before=$(curl -s -H "Authorization: Bearer bench-metrics" "http://127.0.0.1:$port/metrics" | awk '/^portal_db_queries_total/ {print $2}')
  for _ in $(seq 1 20); do
    curl -s -o /dev/null -X POST -H 'content-type: application/json' -H "Authorization: $auth" \
      --data "$(head -1 "$bodies")" "http://127.0.0.1:$port/graphql"
  done
  after=$(curl -s -H "Authorization: Bearer bench-metrics" "http://127.0.0.1:$port/metrics" | awk '/^portal_db_queries_total/ {print $2}')
  echo "STATEMENTS $(( (after - before) / 20 ))"
}

LISTS="page pagedocs nested first3 first100 aliases sizes"
SINGLES="byid byidtickets order ticket usage"
OPS="$LISTS $SINGLES"
# Warm up both servers on every operation.
for op in $OPS; do
  DURATION=3s run_wrk "warmup-ours-$op" 18080 "$OUT/$op-ours.jsonl" "$MAIN_TOKEN" ""
  DURATION=3s run_wrk "warmup-peer-$op" 15678 "$OUT/$op-peer.jsonl" "" ""
done
DURATION=3s run_wrk warmup-small-page 18081 "$OUT/page-ours-small.jsonl" "$MAIN_TOKEN" ""

for op in $OPS; do
  for r in $(seq 1 "$ROUNDS"); do
    run_wrk "$op-ours-$r" 18080 "$OUT/$op-ours.jsonl" "$MAIN_TOKEN" "$OURS_PID"
    run_wrk "$op-peer-$r" 15678 "$OUT/$op-peer.jsonl" "" "$PEER_PID"
  done
  statements 18080 "$OUT/$op-ours.jsonl" "$MAIN_TOKEN" >> "$OUT/$op-ours-1.txt"
done

# Fixed rate: half the slower server's saturated rate, offered to both (16 connections).
for op in $OPS; do
  rate=$(awk -v a="$(rps_of "$op-ours")" -v b="$(rps_of "$op-peer")" 'BEGIN {m = a < b ? a : b; printf "%d", m / 2}')
  for side in ours peer; do
    port=$([ $side = ours ] && echo 18080 || echo 15678)
    pid=$([ $side = ours ] && echo "$OURS_PID" || echo "$PEER_PID")
    auth=$([ $side = ours ] && echo "$MAIN_TOKEN" || echo "")
    RATE=$rate CONNS=16 run_wrk "fixed-$op-$side-1" $port "$OUT/$op-$side.jsonl" "$auth" "$pid"
    echo "OFFERED $rate" >> "$OUT/fixed-$op-$side-1.txt"
  done
done

# The physical limit. PostgreSQL alone: each server's statements for one request (from the
# database's log), replayed by pgbench with 32 clients; and plain HTTP with no database.
PGLOG=$(ls -t /var/log/postgresql/postgresql-*-main.log | head -1)
for op in $OPS; do
  python3 bench/floor.py capture "$PG/portal_bench_large" "$PGLOG" "$OUT" "floor-$op-ours" 18080 "$MAIN_TOKEN" "$OUT/$op-ours.jsonl"
  python3 bench/floor.py capture "$PG/portal_bench_large" "$PGLOG" "$OUT" "floor-$op-peer" 15678 "" "$OUT/$op-peer.jsonl"
done
pgbench_floor() { # label
  local pg0 t
  pg0=$(ticks $(pgrep -x postgres))
  # Simple protocol: the statements carry their values, and a `:name` inside one (a format
  # string such as 'HH24:MI') must not be read as a pgbench variable.
  pgbench -n -M simple -c 32 -j 2 -T "${DURATION%s}" -f "$OUT/$1.sql" "$PG/portal_bench_large" > "$OUT/$1-1.txt" 2>&1 || true
  t=$(awk '/^number of transactions actually processed/ {print $NF}' "$OUT/$1-1.txt" | cut -d/ -f1)
  echo "REQ $t" >> "$OUT/$1-1.txt"
  awk '/^tps/ {print "RPS", $3}' "$OUT/$1-1.txt" >> "$OUT/$1-1.txt"
  echo "PG_CPU_S $(spent "$pg0" "$(ticks $(pgrep -x postgres))")" >> "$OUT/$1-1.txt"
  echo "STATEMENTS $(grep -c . "$OUT/$1.sql")" >> "$OUT/$1-1.txt"
  grep -E '^(RPS|STATEMENTS)' "$OUT/$1-1.txt" | tr '\n' ' '; echo " <- $1"
}
for op in $OPS; do
  pgbench_floor "floor-$op-ours"
  pgbench_floor "floor-$op-peer"
done
echo '{}' > "$OUT/empty.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  METHOD=GET run_wrk "http-ours-$r" 18080 "$OUT/empty.jsonl" "" "$OURS_PID" /healthz
  METHOD=GET run_wrk "http-node-$r" 15679 "$OUT/empty.jsonl" "" "$HELLO_PID" /
done
# Growth: the same main's page, ~10k vs ~1M services, alternating (before the mutation
# rounds, which churn the large database's rows the page reads).
SMALL_PID=$(pid_on 18081)
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "growth-small-$r" 18081 "$OUT/page-ours-small.jsonl" "$MAIN_TOKEN" "$SMALL_PID"
  run_wrk "growth-large-$r" 18080 "$OUT/page-ours.jsonl" "$MAIN_TOKEN" "$OURS_PID"
done
statements 18081 "$OUT/page-ours-small.jsonl" "$MAIN_TOKEN" >> "$OUT/growth-small-1.txt"
statements 18080 "$OUT/page-ours.jsonl" "$MAIN_TOKEN" >> "$OUT/growth-large-1.txt"

for r in $(seq 1 "$ROUNDS"); do
  python3 bench/bodies.py mutation "$PG/portal_bench_large" "$OUT"
  run_wrk "mutation-ours-$r" 18080 "$OUT/mutation-ours.jsonl" "$ADMIN" "$OURS_PID"
done
statements 18080 "$OUT/mutation-ours.jsonl" "$ADMIN" >> "$OUT/mutation-ours-1.txt"

# Billing: one payer per transaction. Side by side on the small database (two months nobody
# billed yet, one worker then eight), then the current month of the large one.
bill() { # label db month workers
  DATABASE_URL=$PG/$2 RUST_LOG=warn "$BIN" bill --month "$3" --billing-workers "$4" 2>/dev/null \
    | tail -1 | tee "$OUT/$1.txt"
}
bill billing-small-1worker portal_bench_small "$(date -d "$(date +%Y-%m-15) -2 month" +%Y-%m)" 1
bill billing-small-8workers portal_bench_small "$(date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)" 8
[ "${BENCH_BILL_LARGE:-1}" = 1 ] && bill billing-large-8workers portal_bench_large "$(date +%Y-%m)" 8

python3 bench/report.py "$OUT" "$PG" > BENCHMARKS.md
echo "wrote BENCHMARKS.md and bench/chart.svg"
