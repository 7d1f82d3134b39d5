#!/usr/bin/env bash
# Refreshes the playground's assets (GraphiQL and React, production builds) from pinned npm
# releases into assets/playground/, which the server embeds (include_bytes!): the
# playground then needs no outside network. Change a version here, run the script, commit.
#
#   scripts/refresh-playground.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GRAPHIQL=3.8.3
REACT=18.3.1
OUT=assets/playground
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" "$OUT/"
cp "$work/react-$REACT/package/umd/react.production.min.js" "$OUT/"
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" "$OUT/"
{
  echo "# What assets/playground holds (written by scripts/refresh-playground.sh; checked by a test)."
  echo "graphiql $GRAPHIQL MIT"
  echo "react $REACT MIT"
  echo "react-dom $REACT MIT"
  (cd "$OUT" && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js)
} > "$OUT/VERSIONS"
cat "$work/graphiql-$GRAPHIQL/package/LICENSE" > "$OUT/LICENSE.graphiql"
cat "$work/react-$REACT/package/LICENSE" > "$OUT/LICENSE.react"
echo "refreshed $OUT: graphiql $GRAPHIQL, react $REACT"
