package packaging

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitSettings parses a systemd unit into "Section.Key" -> values in order (a key may
// repeat).
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: not a setting: %q", path, line)
			}
			settings[section+"."+k] = append(settings[section+"."+k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return settings
}

// TestUnitSettings pins the settings zhub depends on, so that an edit that would hide
// the dongle or break sd_notify fails here rather than on a Pi.
func TestUnitSettings(t *testing.T) {
	s := unitSettings(t, filepath.Join(repoRoot(t), "systemd", "zhub.service"))
	tests := []struct {
		name, key, want string
	}{
		{"readiness is reported", "Service.Type", "notify"},
		{"only zhub itself notifies", "Service.NotifyAccess", "main"},
		{"the packaged binary", "Service.ExecStart", "/usr/bin/zhub serve"},
		{"restarts after a crash", "Service.Restart", "on-failure"},
		{"the static user", "Service.User", "zhub"},
		{"serial access", "Service.SupplementaryGroups", "dialout"},
		{"data directory", "Service.StateDirectory", "zhub"},
		{"configuration directory", "Service.ConfigurationDirectory", "zhub"},
		{"optional environment file", "Service.EnvironmentFile", "-/etc/default/zhub"},
		{"a /dev with ttys", "Service.PrivateDevices", "no"},
		{"device allow list", "Service.DevicePolicy", "closed"},
		{"read-only system", "Service.ProtectSystem", "strict"},
		{"no privileges", "Service.NoNewPrivileges", "yes"},
		{"no capabilities", "Service.CapabilityBoundingSet", ""},
		{"no ambient capabilities", "Service.AmbientCapabilities", ""},
		{"Go needs no W+X memory", "Service.MemoryDenyWriteExecute", "yes"},
		{"native system calls only", "Service.SystemCallArchitectures", "native"},
		{"filtered calls fail, not kill", "Service.SystemCallErrorNumber", "EPERM"},
		{"umask", "Service.UMask", "0027"},
		{"starts at boot", "Install.WantedBy", "multi-user.target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s[tc.key]
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("%s = %q, want exactly %q", tc.key, got, tc.want)
			}
		})
	}

	contains := []struct {
		name, key string
		want      []string
	}{
		// sd_notify is a unix datagram: without AF_UNIX, Type=notify never sees READY=1.
		{"notify socket and network", "Service.RestrictAddressFamilies", []string{"AF_UNIX", "AF_INET", "AF_INET6"}},
		{"USB serial devices", "Service.DeviceAllow", []string{"char-ttyUSB rw", "char-ttyACM rw", "char-ttyAMA rw"}},
		{"system call allow list", "Service.SystemCallFilter", []string{"@system-service"}},
	}
	for _, tc := range contains {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !hasSetting(s[tc.key], w) {
					t.Errorf("%s = %q lacks %q", tc.key, s[tc.key], w)
				}
			}
		})
	}
	for _, k := range []string{"ProtectHome", "PrivateTmp", "ProtectKernelTunables", "ProtectKernelModules",
		"ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictNamespaces",
		"RestrictRealtime", "RestrictSUIDSGID", "LockPersonality"} {
		if got := s["Service."+k]; len(got) != 1 || got[0] != "yes" {
			t.Errorf("%s = %q, want yes", k, got)
		}
	}
	if ws := s["Service.WatchdogSec"]; len(ws) != 1 || ws[0] == "" || ws[0] == "0" {
		t.Errorf("WatchdogSec = %q, want a watchdog", ws)
	}
	// Settings that would cut zhub off from what it needs.
	for _, k := range []string{"PrivateNetwork", "DynamicUser", "PrivateUsers", "IPAddressDeny"} {
		if v := s["Service."+k]; len(v) > 0 && v[len(v)-1] == "yes" {
			t.Errorf("%s=yes: zhub serves the network from a static user", k)
		}
	}
}

// TestUnitVerify runs `systemd-analyze verify` on the packaged unit, pointed at the
// packaged binary and man page, and records `systemd-analyze security` exposure.
func TestUnitVerify(t *testing.T) {
	need(t, "systemd-analyze", "verifies the unit")
	pkgs := debs(t)
	dir := extract(t, pkgs["amd64"])
	// The unit names /usr/bin/zhub; verify checks that the command exists and is
	// executable, so point it at the packaged one. The Documentation=man:zhub(8) check
	// finds the packaged man page through MANPATH.
	unit, err := os.ReadFile(filepath.Join(dir, "lib/systemd/system/zhub.service"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "usr/bin/zhub")
	if !strings.Contains(string(unit), "\nExecStart=/usr/bin/zhub ") {
		t.Fatal("the unit's ExecStart does not run /usr/bin/zhub")
	}
	copyDir := t.TempDir()
	copyPath := filepath.Join(copyDir, "zhub.service")
	edited := strings.Replace(string(unit), "\nExecStart=/usr/bin/zhub ", "\nExecStart="+bin+" ", 1)
	if err := os.WriteFile(copyPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "MANPATH="+filepath.Join(dir, "usr/share/man"), "SYSTEMD_LOG_COLOR=0")
	out, errOut, err := runErr("", env, "systemd-analyze", "verify", copyPath)
	if err != nil || strings.TrimSpace(out+errOut) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s%s", err, out, errOut)
	}

	// Exposure: 0 (locked down) to 10 (unprotected); target 2.5 or lower ("OK").
	out, errOut, err = runErr("", env, "systemd-analyze", "security", "--offline=true", "--no-pager", copyPath)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s%s", err, out, errOut)
	}
	m := regexp.MustCompile(`Overall exposure level for zhub\.service: ([0-9.]+) (\w+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure in:\n%s", out)
	}
	score, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("systemd-analyze security exposure: %s %s", m[1], m[2])
	if score > 2.5 {
		t.Errorf("exposure %.1f %s, want 2.5 or lower\n%s", score, m[2], out)
	}
}

// hasSetting reports whether want is one of the values, or one of the space-separated
// words of a value (RestrictAddressFamilies=AF_UNIX AF_INET).
func hasSetting(values []string, want string) bool {
	for _, v := range values {
		if v == want {
			return true
		}
		for _, w := range strings.Fields(v) {
			if w == want {
				return true
			}
		}
	}
	return false
}
