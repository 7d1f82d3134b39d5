#!/usr/bin/env bash
# Checks deploy/portal-api.service with `systemd-analyze verify` (any complaint fails), with
# ExecStart pointed at the binary this checkout built (the unit names its installed path).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$PWD/target/debug/portal-api}
[ -x "$BIN" ] || cargo build --quiet
command -v systemd-analyze >/dev/null || { apt-get update -qq && apt-get install -y -qq systemd >/dev/null; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/portal-api|$BIN|" deploy/portal-api.service > "$dir/portal-api.service"
out=$(systemd-analyze verify "$dir/portal-api.service" 2>&1 || true)
if [ -n "$out" ]; then
  echo "$out"
  echo "deploy/portal-api.service: systemd-analyze verify complained"
  exit 1
fi
echo "deploy/portal-api.service: systemd-analyze verify is clean"
