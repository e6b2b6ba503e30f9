package packaging

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scratchRoot makes an empty root that dpkg --root can install into: its database and
// the account files the maintainer scripts edit.
func scratchRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"var/lib/dpkg/status":    "",
		"var/lib/dpkg/available": "",
		"etc/passwd":             "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":              "root:x:0:\ndialout:x:20:\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":            "root:*::\ndialout:*::\n",
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if strings.Contains(name, "shadow") {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// tree lists the paths under root (relative), directories with a trailing slash,
// symlinks as "path -> target".
func tree(t *testing.T, root string) map[string]bool {
	t.Helper()
	paths := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case rel == ".":
		case d.IsDir():
			paths[rel+"/"] = true
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			paths[rel+" -> "+target] = true
		default:
			paths[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// TestInstallRemovePurge installs the amd64 package into a scratch root with
// `dpkg --root`, reinstalls it, removes it, installs it again, and purges it. The
// maintainer scripts run without chroot and act inside the root through $DPKG_ROOT;
// the machine's own accounts and services must stay untouched.
func TestInstallRemovePurge(t *testing.T) {
	need(t, "dpkg", "installs the package")
	need(t, "useradd", "the postinst creates the zhub user with it")
	needRoot(t, "dpkg installs files owned by root")
	deb := debs(t)["amd64"]
	root := scratchRoot(t)
	before := tree(t, root)
	hostFiles := map[string][]byte{}
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		hostFiles[f] = b
	}

	env := append(os.Environ(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	logFile := filepath.Join(t.TempDir(), "dpkg.log")
	dpkg := func(args ...string) string {
		t.Helper()
		// --force-depends: the scratch root has no passwd package; the scripts use the
		// machine's useradd on the root's account files.
		return run(t, "", env, "dpkg", append([]string{"--root=" + root, "--log=" + logFile,
			"--force-script-chrootless", "--force-depends"}, args...)...)
	}
	status := func() string {
		out, _, err := runErr("", env, "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"),
			"-W", "-f=${Status}", "zhub")
		if err != nil {
			return "not installed"
		}
		return out
	}
	exists := func(rel string) bool {
		_, err := os.Lstat(filepath.Join(root, rel))
		return err == nil
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	link := func(rel string) string {
		target, err := os.Readlink(filepath.Join(root, rel))
		if err != nil {
			return ""
		}
		return target
	}
	const wants = "etc/systemd/system/multi-user.target.wants/zhub.service"
	const mask = "etc/systemd/system/zhub.service"

	checkInstalled := func(t *testing.T) {
		t.Helper()
		if s := status(); s != "install ok installed" {
			t.Fatalf("status %q, want install ok installed", s)
		}
		for _, pf := range packagedFiles {
			if !exists(pf.path[1:]) {
				t.Errorf("%s not installed", pf.path)
			}
		}
		if got := link(wants); got != "/lib/systemd/system/zhub.service" {
			t.Errorf("zhub.service not enabled: %s -> %q", wants, got)
		}
		if exists(mask) {
			t.Errorf("zhub.service is masked after installation")
		}
		var users []string
		for _, line := range strings.Split(read("etc/passwd"), "\n") {
			if strings.HasPrefix(line, "zhub:") {
				users = append(users, line)
			}
		}
		if len(users) != 1 {
			t.Fatalf("want one zhub user, got %q", users)
		}
		f := strings.Split(users[0], ":")
		if len(f) != 7 || f[5] != "/var/lib/zhub" || f[6] != "/usr/sbin/nologin" {
			t.Errorf("zhub user %q: want home /var/lib/zhub and shell /usr/sbin/nologin", users[0])
		}
		groups := read("etc/group")
		if !strings.Contains(groups, "\nzhub:x:"+f[3]+":") {
			t.Errorf("no zhub group with gid %s:\n%s", f[3], groups)
		}
		if !strings.Contains(groups, "\ndialout:x:20:zhub\n") {
			t.Errorf("zhub is not (only once) in dialout:\n%s", groups)
		}
	}

	t.Run("install", func(t *testing.T) {
		dpkg("-i", deb)
		checkInstalled(t)
	})
	t.Run("reinstall is idempotent", func(t *testing.T) {
		dpkg("-i", deb)
		checkInstalled(t)
	})

	// What the running service would have left: its database.
	if err := os.MkdirAll(filepath.Join(root, "var/lib/zhub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/zhub/zhub.db"), []byte("state"), 0o640); err != nil {
		t.Fatal(err)
	}
	// An administrator's edit, which remove must keep.
	edited := read("etc/zhub/config.toml") + "\n# edited\n"
	if err := os.WriteFile(filepath.Join(root, "etc/zhub/config.toml"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	checkRemoved := func(t *testing.T) {
		t.Helper()
		if s := status(); s != "deinstall ok config-files" {
			t.Fatalf("status %q, want deinstall ok config-files", s)
		}
		for _, pf := range packagedFiles {
			conffile := strings.HasPrefix(pf.path, "/etc/")
			if exists(pf.path[1:]) != conffile {
				t.Errorf("%s present: %v, want %v", pf.path, !conffile, conffile)
			}
		}
		if read("etc/zhub/config.toml") != edited {
			t.Errorf("the edited configuration was not kept")
		}
		if !exists("var/lib/zhub/zhub.db") {
			t.Errorf("remove deleted the state in /var/lib/zhub")
		}
		if got := link(mask); got != "/dev/null" {
			t.Errorf("zhub.service not masked after remove: %q", got)
		}
	}
	t.Run("remove keeps conffiles and state", func(t *testing.T) {
		dpkg("-r", "zhub")
		checkRemoved(t)
	})
	t.Run("install after remove enables again", func(t *testing.T) {
		dpkg("-i", deb)
		checkInstalled(t)
		if read("etc/zhub/config.toml") != edited {
			t.Errorf("reinstall replaced the edited configuration")
		}
		dpkg("-r", "zhub")
		checkRemoved(t)
	})
	t.Run("purge leaves nothing", func(t *testing.T) {
		dpkg("-P", "zhub")
		if s := status(); s != "not installed" {
			t.Errorf("status %q after purge", s)
		}
		after := tree(t, root)
		for p := range after {
			if before[p] || strings.HasPrefix(p, "var/lib/dpkg/") {
				continue
			}
			switch p {
			case "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-":
				// useradd's backups of the account files.
			case "etc/systemd/", "etc/systemd/system/", "var/lib/systemd/":
				// System directories that every systemd machine has; anything left in
				// them is reported on its own.
			default:
				t.Errorf("left after purge: %s", p)
			}
		}
		// Debian packages leave their system user: files elsewhere may still be its.
		if !strings.Contains(read("etc/passwd"), "\nzhub:") {
			t.Errorf("purge removed the zhub user")
		}
	})

	for f, b := range hostFiles {
		now, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, b) {
			t.Errorf("the machine's own %s changed", f)
		}
	}
}

// TestMakeInstall stages `make install` into DESTDIR: the .deb's files in the same
// places, and a second run keeps the administrator's configuration.
func TestMakeInstall(t *testing.T) {
	need(t, "make", "runs the install target")
	dest := t.TempDir()
	repo := repoRoot(t)
	install := func() string {
		t.Helper()
		return run(t, repo, nil, "make", "--no-print-directory", "install", "DESTDIR="+dest)
	}
	install()
	for _, pf := range packagedFiles {
		st, err := os.Stat(filepath.Join(dest, pf.path))
		if err != nil {
			t.Errorf("make install: %v", err)
			continue
		}
		if st.Mode().Perm() != pf.mode {
			t.Errorf("%s: mode %v, want %v", pf.path, st.Mode().Perm(), pf.mode)
		}
		if pf.repo == "" {
			continue
		}
		got, err := os.ReadFile(filepath.Join(dest, pf.path))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(repo, pf.repo))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", pf.path, pf.repo)
		}
	}

	conf := filepath.Join(dest, "etc/zhub/config.toml")
	if err := os.WriteFile(conf, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := install()
	if got, _ := os.ReadFile(conf); string(got) != "# mine\n" {
		t.Errorf("make install overwrote the configuration: %q", got)
	}
	dist, err := os.ReadFile(conf + ".dist")
	if err != nil {
		t.Fatalf("no config.toml.dist beside the kept configuration: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(filepath.Join(repo, "packaging/config.toml"))
	if !bytes.Equal(dist, want) {
		t.Errorf("config.toml.dist is not the shipped configuration")
	}
}
