package packaging

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/creack/pty"
)

// flattenTOML decodes a TOML file into "section.key" -> value.
func flattenTOML(t *testing.T, path string) map[string]any {
	t.Helper()
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	flat := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			flat[prefix+k] = v
		}
	}
	walk("", doc)
	return flat
}

// TestPackagedConfigKeys keeps the packaged configuration in step with
// config.example.toml: the same keys, and the defaults everywhere except the serial
// port and adapter of a real dongle and the service's socket.
func TestPackagedConfigKeys(t *testing.T) {
	root := repoRoot(t)
	packaged := flattenTOML(t, filepath.Join(root, "packaging", "config.toml"))
	example := flattenTOML(t, filepath.Join(root, "config.example.toml"))
	want := map[string]any{"serial.port": "/dev/zigbee", "serial.adapter": "znp", "socket": "/var/lib/zhub/zhub.sock"}
	for k, v := range want {
		if !reflect.DeepEqual(packaged[k], v) {
			t.Errorf("packaged %s = %v, want %v", k, packaged[k], v)
		}
	}
	for _, k := range sortedKeys(example) {
		pv, ok := packaged[k]
		switch {
		case !ok:
			t.Errorf("packaged config lacks %s (in config.example.toml)", k)
		case want[k] == nil && !reflect.DeepEqual(pv, example[k]):
			t.Errorf("packaged %s = %v, the default is %v", k, pv, example[k])
		}
	}
	for _, k := range sortedKeys(packaged) {
		if _, ok := example[k]; !ok {
			t.Errorf("packaged config has %s, which config.example.toml does not document", k)
		}
	}
}

// TestPackagedConfigCheck runs the packaged binary's `zhub config check` on the
// packaged configuration: without the dongle the one problem is the missing
// /dev/zigbee; with a serial device in its place (a pty) the configuration is valid.
func TestPackagedConfigCheck(t *testing.T) {
	pkgs := debs(t)
	arch := hostDebArch()
	if arch == "" {
		t.Skip("no package for this machine's architecture")
	}
	dir := extract(t, pkgs[arch])
	bin := filepath.Join(dir, "usr/bin/zhub")
	conf := filepath.Join(dir, "etc/zhub/config.toml")

	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer tty.Close()

	addrs := freeAddrs(t, 2)
	// A clean environment: no ZHUB_* from the caller; free ports so a zhub running on
	// this machine does not get in the way.
	env := func(extra ...string) []string {
		return append([]string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ZHUB_DATA_DIR=" + t.TempDir(),
			"ZHUB_SOCKET=" + filepath.Join(t.TempDir(), "zhub.sock"),
			"ZHUB_HTTP_LISTEN=" + addrs[0], "ZHUB_MQTT_LISTEN=" + addrs[1],
		}, extra...)
	}
	tests := []struct {
		name     string
		env      []string
		exit     int
		stdout   []string
		stderr   []string
		skipWhen string // a path whose existence makes the case meaningless
	}{
		{name: "dongle absent", env: env(), exit: 1,
			stderr: []string{"serial.port", "/dev/zigbee", "no such device"}, skipWhen: "/dev/zigbee"},
		{name: "dongle present", env: env("ZHUB_SERIAL_PORT=" + tty.Name()), exit: 0,
			stdout: []string{"configuration OK", `adapter = "znp"`, tty.Name()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipWhen != "" {
				if _, err := os.Stat(tc.skipWhen); err == nil {
					t.Skipf("%s exists on this machine", tc.skipWhen)
				}
			}
			out, errOut, err := runErr("", tc.env, bin, "config", "check", "--config", conf)
			if code := exitCode(err); code != tc.exit {
				t.Fatalf("exit %d, want %d (%v)\nstdout:\n%s\nstderr:\n%s", code, tc.exit, err, out, errOut)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tc.exit != 0 {
				if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 {
					t.Errorf("want exactly one problem, got %d lines:\n%s", len(lines), errOut)
				}
			}
		})
	}
}

// exitCode is a command's exit status: 0 for nil, -1 when it did not run.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// freeAddrs returns n distinct loopback addresses with ports that were free a moment
// ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}
