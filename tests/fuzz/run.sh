#!/usr/bin/env bash
# Fuzzes the running GraphQL API with schemathesis (bounded), as an admin, on a fresh SQLite
# database with demo data; fails on any server error (see hooks.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${PORTAL_BIN:-$root/target/debug/portal-api}"
examples="${FUZZ_MAX_EXAMPLES:-20}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5" >/dev/null 2>&1 \
  || python3 -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
export DATABASE_URL="sqlite://$work/fuzz.db?mode=rwc" PORTAL_OUTBOX_DIR="$work/outbox" RUST_LOG=warn
export PORTAL_RATE_LIMIT_BURST=1000000000
"$bin" seed --demo >/dev/null
token="$("$bin" token --admin --ttl 1h)"
"$bin" serve --bind 127.0.0.1:0 > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  addr="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1 || true)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "portal-api did not start"; cat "$work/serve.log"; exit 1; }
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" python3 -m schemathesis.cli run "$addr/graphql" \
  -H "Authorization: Bearer $token" \
  --checks no_server_error \
  --exclude-name "Mutation.uploadDocument" \
  --max-examples "$examples" \
  --seed 20261127
