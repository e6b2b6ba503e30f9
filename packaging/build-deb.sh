#!/usr/bin/env bash
# build-deb.sh: build zhub_<version>_<arch>.deb for arm64, armhf and amd64 with nfpm.
#
# Run by `make deb`, after `make cross` has built dist/zhub-linux-{arm64,armv7,amd64}.
# Environment:
#   VERSION     git describe string stamped into the binaries (default: git describe)
#   DEB_DIR     output directory (default: dist/deb)
#   DEB_ARCHES  Debian architectures to build (default: "arm64 armhf amd64")
#   GO          the go command (default: go)
# nfpm is pinned and built once into bin/tools/ with `go install` (no change to go.mod).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

GO=${GO:-go}
NFPM_MODULE=github.com/goreleaser/nfpm/v2
NFPM_VERSION=v2.45.2
out=${DEB_DIR:-dist/deb}
arches=${DEB_ARCHES:-arm64 armhf amd64}
describe=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
debver=$(packaging/version.sh "$describe")

# Reproducible timestamps in the archives: the last commit's time.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# The binary from `make cross` for a Debian architecture.
binary_for() {
	case "$1" in
	arm64) echo dist/zhub-linux-arm64 ;;
	armhf) echo dist/zhub-linux-armv7 ;;
	amd64) echo dist/zhub-linux-amd64 ;;
	*)
		echo "build-deb: unknown architecture $1 (want arm64, armhf or amd64)" >&2
		return 1
		;;
	esac
}

# nfpm, pinned: reuse bin/tools/nfpm when it is that version.
nfpm=$root/bin/tools/nfpm
if ! "$GO" version -m "$nfpm" 2>/dev/null | grep -q "mod[[:space:]]*${NFPM_MODULE}[[:space:]]*${NFPM_VERSION}"; then
	echo "build-deb: installing nfpm $NFPM_VERSION into bin/tools"
	GOBIN=$root/bin/tools CGO_ENABLED=0 "$GO" install "$NFPM_MODULE/cmd/nfpm@$NFPM_VERSION"
fi

for arch in $arches; do
	bin=$(binary_for "$arch")
	[ -x "$bin" ] || {
		echo "build-deb: $bin is missing: run make cross first (make deb does)" >&2
		exit 1
	}
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# A binary this machine can run, for the help text and the completions: the same
# source and flags as the packaged ones, so the text is the same.
host=$stage/zhub-host
CGO_ENABLED=0 "$GO" build -trimpath -o "$host" ./cmd/zhub

packaging/manpage.sh "$host" "$debver" "$stage/zhub.8.gz"

# Shell completions, if this zhub has `zhub completion SHELL`.
config=$stage/nfpm.yaml
cp packaging/nfpm.yaml "$config"
completions=0
while read -r shell dst; do
	if "$host" completion "$shell" >"$stage/completion.$shell" 2>/dev/null && [ -s "$stage/completion.$shell" ]; then
		printf '  - src: %s\n    dst: %s\n    file_info:\n      mode: 0644\n' "$stage/completion.$shell" "$dst" >>"$config"
		completions=$((completions + 1))
	fi
done <<'EOF'
bash /usr/share/bash-completion/completions/zhub
zsh /usr/share/zsh/vendor-completions/_zhub
fish /usr/share/fish/vendor_completions.d/zhub.fish
EOF
if [ "$completions" -eq 0 ]; then
	echo "build-deb: zhub has no 'completion' command yet: packaging without shell completions"
fi

mkdir -p "$out"
for arch in $arches; do
	target=$out/zhub_${debver}_${arch}.deb
	ZHUB_DEB_ARCH=$arch ZHUB_DEB_VERSION=$debver ZHUB_BIN=$(binary_for "$arch") ZHUB_STAGE=$stage \
		"$nfpm" package --config "$config" --packager deb --target "$target" >"$stage/nfpm.log" 2>&1 ||
		{ cat "$stage/nfpm.log" >&2; exit 1; }
	echo "build-deb: $target ($(du -h "$target" | cut -f1))"
done
