package packaging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// qemuFor finds the user-mode emulator for a Debian architecture, or skips.
func qemuFor(t *testing.T, arch string) string {
	t.Helper()
	names := map[string][]string{
		"arm64": {"qemu-aarch64-static", "qemu-aarch64"},
		"armhf": {"qemu-arm-static", "qemu-arm"},
	}[arch]
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return need(t, names[0], "runs the "+arch+" binary (Debian package qemu-user-static)")
}

// hangGuard bounds one emulated run so a hang fails the test instead of the whole
// test binary's timeout. It is not a speed requirement.
const hangGuard = 3 * time.Minute

// TestEmulatedVersion runs each ARM binary's `zhub version` under qemu: it must start
// and print the same version as the machine's own build from the same source.
func TestEmulatedVersion(t *testing.T) {
	pkgs := debs(t)
	want := ""
	if host := hostDebArch(); host != "" {
		want = run(t, "", nil, filepath.Join(extract(t, pkgs[host]), "usr/bin/zhub"), "version")
	}
	for _, arch := range []string{"arm64", "armhf"} {
		t.Run(arch, func(t *testing.T) {
			qemu := qemuFor(t, arch)
			bin := filepath.Join(extract(t, pkgs[arch]), "usr/bin/zhub")
			got := run(t, "", nil, qemu, bin, "version")
			if !strings.HasPrefix(got, "zhub ") || (want != "" && got != want) {
				t.Errorf("%s zhub version = %q, want %q", arch, got, want)
			}
		})
	}
}

// TestEmulatedServe runs the packaged arm64 binary's `zhub serve` under
// qemu-aarch64-static on the embedded default (the emulated Z-Stack dongle with its
// virtual devices): systemd's notify socket hears READY=1, /health reports the
// coordinator's network up, and SIGTERM stops it cleanly with STOPPING=1.
func TestEmulatedServe(t *testing.T) {
	pkgs := debs(t)
	qemu := qemuFor(t, "arm64")
	bin := filepath.Join(extract(t, pkgs["arm64"]), "usr/bin/zhub")

	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	if err := notify.SetReadDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatal(err)
	}
	readNotify := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		n, err := notify.Read(buf)
		if err != nil {
			t.Fatalf("notify socket: %v", err)
		}
		return strings.TrimSpace(string(buf[:n]))
	}

	empty := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddrs(t, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, bin, "serve")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ZHUB_CONFIG=" + empty,
		"ZHUB_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "ZHUB_HTTP_LISTEN=" + addr,
		"ZHUB_MQTT_ENABLED=false", "ZHUB_LOG_FORMAT=json", "NOTIFY_SOCKET=" + sockPath,
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			<-exited
		}
	}()

	// READY=1 comes once the coordinator reached its first outcome.
	if got := readNotify(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1\n%s", got, stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatalf("/health: %v\n%s", err, stderr.String())
	}
	var health struct {
		Status     string `json:"status"`
		Version    string `json:"version"`
		Components map[string]struct {
			State     string         `json:"state"`
			LastError string         `json:"last_error"`
			Detail    map[string]any `json:"detail"`
		} `json:"components"`
	}
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/health: %v", err)
	}
	coord := health.Components["coordinator"]
	t.Logf("arm64 under qemu: /health status %q, coordinator %q %v", health.Status, coord.State, coord.Detail)
	if coord.State != "ok" {
		t.Errorf("coordinator %q (%s), want ok: the emulated network is not up\n%s", coord.State, coord.LastError, stderr.String())
	}
	if fw, _ := coord.Detail["firmware"].(string); !strings.Contains(fw, "Z-Stack") {
		t.Errorf("coordinator firmware %q, want the emulated Z-Stack", fw)
	}
	if ch, _ := coord.Detail["channel"].(float64); ch < 11 || ch > 26 {
		t.Errorf("coordinator channel %v, want 11..26", coord.Detail["channel"])
	}
	if health.Status != "ok" && health.Status != "starting" {
		t.Errorf("status %q, want ok or starting", health.Status)
	}
	if s := health.Components["store"].State; s != "ok" {
		t.Errorf("store %q, want ok", s)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		got := readNotify()
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notification after SIGTERM %q, want STOPPING=1", got)
		}
	}
	err = <-exited
	waited = true
	if err != nil {
		t.Fatalf("zhub serve exit: %v\n%s", err, stderr.String())
	}

	// The emulated dongle started with its virtual devices, and the network came up.
	var simDevices float64
	var networkUp bool
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		switch rec["event"] {
		case "sim_start":
			simDevices, _ = rec["devices"].(float64)
		case "network_up":
			networkUp = true
		}
	}
	if simDevices < 1 || !networkUp {
		t.Errorf("log: sim devices %v, network_up %v; want devices and the network up", simDevices, networkUp)
	}
}
