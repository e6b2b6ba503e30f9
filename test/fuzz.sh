#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each (default 2s).
# Targets are found with `go test -list`, so a new FuzzXxx is picked up by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-2s}
n=0
for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
	for t in $targets; do
		echo "fuzz $pkg $t ($FUZZTIME)"
		go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1s "$pkg" >/tmp/zhub-fuzz.$$ 2>&1 || { cat /tmp/zhub-fuzz.$$; rm -f /tmp/zhub-fuzz.$$; exit 1; }
		n=$((n + 1))
	done
done
rm -f /tmp/zhub-fuzz.$$
echo "fuzz: $n targets ran for $FUZZTIME each, no failures"
