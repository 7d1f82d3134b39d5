#!/usr/bin/env bash
# Starts portal-api on a fresh SQLite file, runs graphql-http's audit against it, stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${PORTAL_BIN:-$root/target/debug/portal-api}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$here" && npm install --silent --no-audit --no-fund >/dev/null)
export DATABASE_URL="sqlite://$work/audit.db?mode=rwc" PORTAL_OUTBOX_DIR="$work/outbox" RUST_LOG=warn
"$bin" migrate >/dev/null
token="$("$bin" token --admin)"
"$bin" serve --bind 127.0.0.1:0 > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  addr="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1 || true)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "portal-api did not start"; cat "$work/serve.log"; exit 1; }
AUDIT_URL="$addr/graphql" AUDIT_TOKEN="$token" node "$here/audit.mjs"
