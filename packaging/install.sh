#!/usr/bin/env bash
# install.sh ZHUB: install zhub without a package (`make install`): the same files in the
# same places as the .deb.
#
# With DESTDIR set, only the files are copied under it (for staging or image builds).
# Without it (as root), the package's postinst then runs as for a new installation:
# the zhub user, udev reload, and the service enabled and started. An existing
# /etc/zhub/config.toml or /etc/default/zhub is kept; the shipped version is put beside
# it as *.dist.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=${1:-bin/zhub}
dest=${DESTDIR:-}
[ -x "$bin" ] || {
	echo "install: $bin is missing: run make build first (make install does)" >&2
	exit 1
}
if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install: run as root (sudo make install), or set DESTDIR to stage the files" >&2
	exit 1
fi

install -D -m 0755 "$bin" "$dest/usr/bin/zhub"
install -D -m 0644 systemd/zhub.service "$dest/lib/systemd/system/zhub.service"
install -D -m 0644 packaging/70-zhub.rules "$dest/lib/udev/rules.d/70-zhub.rules"

# Configuration: never overwrite the administrator's.
conf() { # conf SRC DST MODE
	if [ -e "$dest$2" ]; then
		install -D -m "$3" "$1" "$dest$2.dist"
		echo "install: kept $2; the shipped version is $2.dist"
	else
		install -D -m "$3" "$1" "$dest$2"
	fi
}
conf packaging/config.toml /etc/zhub/config.toml 0644
conf packaging/default /etc/default/zhub 0600

version=$("$bin" version | awk '{print $2}')
packaging/manpage.sh "$bin" "$version" "$dest/usr/share/man/man8/zhub.8.gz"
for doc in config.example.toml docs/install-pi.md README.md; do
	install -D -m 0644 "$doc" "$dest/usr/share/doc/zhub/$(basename "$doc")"
done
# Shell completions, where this zhub has them (the same places as the package).
while read -r shell path; do
	if "$bin" completion "$shell" >/dev/null 2>&1; then
		"$bin" completion "$shell" | install -D -m 0644 /dev/stdin "$dest$path"
	fi
done <<'EOF'
bash /usr/share/bash-completion/completions/zhub
zsh /usr/share/zsh/vendor-completions/_zhub
fish /usr/share/fish/vendor_completions.d/zhub.fish
EOF

if [ -z "$dest" ]; then
	packaging/scripts/postinst configure ""
fi
echo "install: zhub $version installed${dest:+ under $dest}"
