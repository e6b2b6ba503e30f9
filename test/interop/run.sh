#!/usr/bin/env bash
# Interop checks with third-party host stacks against zhub's emulated dongles, and
# with the official MCP TypeScript SDK against zhub's MCP server.
# Needs Node.js and npm (the packages are pinned in package-lock.json).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$root/bin"
(cd "$root" && CGO_ENABLED=0 go build -o bin/zhub ./cmd/zhub)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== herdsman zstack: form, pair, switch"
node herdsman_znp.js --zhub "$root/bin/zhub" --dir "$work/znp" --expect reset
echo "== herdsman zstack: restart resumes the network"
node herdsman_znp.js --zhub "$root/bin/zhub" --dir "$work/znp" --expect resumed
for v in 13 14; do
	echo "== herdsman ember (EZSP v$v): form, pair, switch"
	node herdsman_ember.js --zhub "$root/bin/zhub" --dir "$work/ember$v" --expect reset --ezsp-version "$v"
	echo "== herdsman ember (EZSP v$v): restart resumes the network"
	node herdsman_ember.js --zhub "$root/bin/zhub" --dir "$work/ember$v" --expect resumed --ezsp-version "$v"
done
echo "== MCP: the official TypeScript SDK over stdio (zhub mcp) and Streamable HTTP"
node mcp_ts.mjs --zhub "$root/bin/zhub" --dir "$work/mcp"
echo "interop: 7 passed, 0 failed"
