#!/usr/bin/env bash
# manpage.sh ZHUB VERSION OUT: write the gzipped zhub(8) man page to OUT, made from
# packaging/zhub.8.in and the `help` output of ZHUB (a zhub binary this machine can run).
# The date is that of $SOURCE_DATE_EPOCH (default: now), so builds are reproducible.
set -euo pipefail

zhub=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Backslashes, lines that start with a dot or a quote, and the em dash are escaped so
# troff prints the help text as it is, without relying on preconv for UTF-8.
"$zhub" help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/—/\\(em/g' >"$tmp/usage"
epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
date=$(date -u -d "@$epoch" +%Y-%m-%d)
awk -v usage="$tmp/usage" -v ver="$version" -v date="$date" '
	/^@USAGE@$/ { while ((getline line < usage) > 0) print line; next }
	{ gsub(/@VERSION@/, ver); gsub(/@DATE@/, date); print }
' "$here/zhub.8.in" >"$tmp/zhub.8"
mkdir -p "$(dirname "$out")"
gzip -9n <"$tmp/zhub.8" >"$out"
