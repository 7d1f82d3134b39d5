#!/usr/bin/env bash
# Browser checks: headless Chromium (Debian's package) against portal-api with demo data:
# the playground offline, CORS from an allowed and another origin, the reference portal,
# with PORTAL_TRUSTED_DOCUMENTS=require.
# Installs what it needs.
#   SHOTS=dir  keeps screenshots there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ALLOWED_PORT=$(free_port)
OTHER_PORT=$(free_port)
export ALLOWED_PORT OTHER_PORT
export PORTAL_CORS_ORIGINS="http://127.0.0.1:$ALLOWED_PORT"
# The portal must work with trusted documents required: customers may send nothing else.
export PORTAL_TRUSTED_DOCUMENTS=require
SEED=1
source "$here/../support/serve.sh"
API="$addr" STAFF_TOKEN="$token" SERVER_PID="$pid" PORTAL_BIN="$bin" RESTART=1 timeout 300 node "$here/browser.mjs"
