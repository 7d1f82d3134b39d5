#!/usr/bin/env bash
# Starts portal-api on a fresh SQLite file, runs graphql-http's audit against it, stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null)
source "$here/../support/serve.sh"
AUDIT_URL="$addr/graphql" AUDIT_TOKEN="$token" node "$here/audit.mjs"
