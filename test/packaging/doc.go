// Package packaging tests the Raspberry Pi packaging: the .deb packages that `make deb`
// builds with nfpm (packaging/), the hardened systemd unit (systemd/zhub.service), the
// udev rule, the packaged configuration and `make install`.
//
// The tests build the packages once per run with `make deb` into a temporary directory,
// or use the ones in $ZHUB_DEB_DIR (one zhub_*_<arch>.deb per architecture; a relative
// path is taken from the repository's top directory, as make's DEB_DIR). They inspect
// the packages with dpkg-deb, verify the unit with systemd-analyze, install, remove and
// purge the amd64 package in a scratch root with `dpkg --root` (maintainer scripts run
// without chroot and act inside that root through $DPKG_ROOT), and run the arm64 binary
// under qemu-aarch64-static.
//
// A test whose tool is missing (dpkg-deb, systemd-analyze, qemu-user-static) or that
// needs root skips with the reason; with ZHUB_PACKAGING_STRICT=1, as in CI, it fails
// instead.
//
// boot-test.sh, run by CI after these tests, goes further than a unit file can be checked
// from outside: it boots this machine's Debian in a throwaway systemd-nspawn container,
// installs the package there and checks the running service under its real sandbox.
//
// The package has no non-test code.
package packaging
