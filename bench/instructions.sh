#!/usr/bin/env bash
# Our server's instructions a request for one shape, counted exactly (callgrind): a change
# of 2% shows here where wrk's rounds spread 15-25% on a shared machine. Every thread's
# instructions after 20 warm-up requests, divided by the requests, which are sent one at a
# time (so the viewer cache's sync is not shared between requests as under load).
#
#   bench/instructions.sh BIN BODY_FILE [REQUESTS]
#
# BODY_FILE: a bench body file (`bench/bodies.py write`; its first body is sent). The
# server reads $DATABASE_URL (e.g. the large bench database) and signs with
# $PORTAL_JWT_SECRET; $AUTH is the Authorization header (`Bearer ...`, `portal-api token`).
set -euo pipefail
BIN=$1 BODY_FILE=$2 N=${3:-50}
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
OUT=$(mktemp -d)
PORT=${PORT:-18091}
# A server already on the port would answer instead of the one counted.
if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
  echo "port $PORT already answers: stop that server, or set PORT" >&2
  exit 1
fi
PORTAL_BIND=127.0.0.1:$PORT RUST_LOG=warn PORTAL_SCHEDULER_POLL_SECS=0 \
  PORTAL_RATE_LIMIT_BURST=1000000000 PORTAL_RATE_LIMIT_PER_SECOND=1000000000 \
  PORTAL_REQUEST_TIMEOUT_SECS=120 \
  valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.%p" --dump-instr=no "$BIN" serve >"$OUT/server.log" 2>&1 &
VP=$!
# The server is gone (its port free) before the script ends, for the next count.
trap 'kill $VP 2>/dev/null || true; wait $VP 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
  kill -0 "$VP" 2>/dev/null || { echo "the server did not start:" >&2; tail -5 "$OUT/server.log" >&2; exit 1; }
  sleep 0.5
done
send() { # requests
  python3 - "$(head -1 "$BODY_FILE")" "$1" "$PORT" <<'PY'
import http.client, os, sys
body, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection('127.0.0.1', port)
for _ in range(n):
    c.request('POST', '/graphql', body, {'content-type': 'application/json', 'authorization': os.environ['AUTH']})
    r = c.getresponse(); d = r.read()
    assert r.status == 200 and b'"errors"' not in d, d[:300]
PY
}
send 20
callgrind_control -z "$VP" >/dev/null 2>&1
send "$N"
callgrind_control -d "$VP" >/dev/null 2>&1
echo "$(basename "$BODY_FILE" .jsonl) $(grep -h '^totals:' "$OUT"/cg.*.1 | awk -v n="$N" '{printf "%d", $2 / n}') instructions a request"
echo "profile: callgrind_annotate $(ls "$OUT"/cg.*.1)"
