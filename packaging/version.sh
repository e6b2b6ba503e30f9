#!/bin/sh
# version.sh [DESCRIBE [COUNT]]: print a Debian package version for a git describe string.
#
# DESCRIBE defaults to `git describe --tags --always --dirty` (what `make` stamps into the
# binary), COUNT to the number of commits (`git rev-list --count HEAD`). Debian versions
# must start with a digit, use only [A-Za-z0-9.+~], and sort so that upgrades go up:
#
#   v1.2.3                 -> 1.2.3
#   v1.2.3-rc.1            -> 1.2.3~rc.1           (a pre-release sorts before 1.2.3)
#   v1.2.3-4-gabc1234      -> 1.2.3+4.gabc1234     (4 commits after the tag)
#   v1.2.3-4-gabc1234-dirty-> 1.2.3+4.gabc1234.dirty
#   abc1234 (no tag yet)   -> 0.0.0+git<COUNT>.gabc1234
#   dev (no git)           -> 0.0.0+dev
set -eu

desc=${1:-}
count=${2:-}
if [ -z "$desc" ]; then
	desc=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
fi

dirty=
case "$desc" in
*-dirty)
	dirty=.dirty
	desc=${desc%-dirty}
	;;
esac

# tag-N-gHASH: commits after a tag.
after=
if printf '%s' "$desc" | grep -Eq -- '-[0-9]+-g[0-9a-f]+$'; then
	after=$(printf '%s' "$desc" | sed -E 's/^.*-([0-9]+)-g([0-9a-f]+)$/\1.g\2/')
	desc=$(printf '%s' "$desc" | sed -E 's/-[0-9]+-g[0-9a-f]+$//')
fi

case "$desc" in
v[0-9]* | [0-9]*.*)
	base=${desc#v}
	# Semver pre-release (1.2.3-rc.1) -> Debian's "sorts before" marker (1.2.3~rc.1).
	base=$(printf '%s' "$base" | sed -E 's/-/~/')
	ver=$base
	if [ -n "$after" ]; then
		ver=$ver+$after$dirty
	elif [ -n "$dirty" ]; then
		ver=$ver+dirty
	fi
	;;
dev)
	ver=0.0.0+dev$dirty
	;;
*)
	# An abbreviated commit hash: no tag yet.
	if [ -z "$count" ]; then
		count=$(git rev-list --count HEAD 2>/dev/null || echo 0)
	fi
	ver=0.0.0+git$count.g$desc$dirty
	;;
esac

# Anything else Debian does not allow becomes a dot.
printf '%s\n' "$ver" | sed -E 's/[^A-Za-z0-9.+~]/./g'
