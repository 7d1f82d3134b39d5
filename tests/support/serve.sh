# Sourced by the CI tools that need a real server: starts `portal-api serve` on a fresh
# SQLite file in a temporary folder and sets `addr` (http://IP:PORT) and `token` (an admin
# access token). The caller seeds first by setting SEED=1. Stops and cleans up on exit.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${PORTAL_BIN:-$root/target/debug/portal-api}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL="sqlite://$work/portal.db?mode=rwc" PORTAL_OUTBOX_DIR="$work/outbox" RUST_LOG=warn
# A demo server (its playground's example sign-in filled in) with SEED=1.
demo=()
if [ "${SEED:-0}" = 1 ]; then "$bin" seed --demo >/dev/null; demo=(--demo); else "$bin" migrate >/dev/null; fi
token="$("$bin" token --admin --ttl 1h)"
"$bin" serve --bind 127.0.0.1:0 "${demo[@]}" > "$work/serve.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 100); do
  addr="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1 || true)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "portal-api did not start"; cat "$work/serve.log"; exit 1; }
