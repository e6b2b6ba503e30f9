package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real binary is compiled once per test run: with the race detector for
// tests, without it for benchmarks (which measure what users run).
var (
	buildMu sync.Mutex
	built   = map[bool]string{}
)

func buildBinary(tb testing.TB, race bool) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[race]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "zhub-bin-")
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, "zhub")
	args := []string{"build", "-o", p}
	if race {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		tb.Fatalf("build zhub: %v", &buildError{out: string(out), err: err})
	}
	built[race] = p
	return p
}

func zhubBinary(t testing.TB) string { return buildBinary(t, true) }

func zhubBinaryForBench(b testing.TB) string { return buildBinary(b, false) }

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// baseEnv is a clean environment for the daemon: no stray ZHUB_* from the
// caller, and an empty configuration file so /etc/zhub/config.toml on the
// test machine cannot leak in. Later entries win (os/exec keeps the last).
func baseEnv(t testing.TB, extra ...string) []string {
	empty := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "ZHUB_CONFIG=" + empty}
	return append(env, extra...)
}

// TestServeLifecycle runs the real binary on the embedded default: /health
// answers, systemd hears READY=1 then STOPPING=1 on SIGTERM, and the exit
// is clean.
func TestServeLifecycle(t *testing.T) {
	bin := zhubBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()

	cmd := exec.Command(bin, "serve")
	cmd.Env = baseEnv(t, "ZHUB_DATA_DIR="+dataDir, "ZHUB_HTTP_LISTEN="+addr, "ZHUB_MQTT_ENABLED=false",
		"NOTIFY_SOCKET="+sockPath, "ZHUB_LOG_FORMAT=json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	if got := readNotify(t, notify); got != "READY=1" {
		t.Fatalf("first notify = %q, want READY=1\n%s", got, stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatalf("health: %v\n%s", err, stderr.String())
	}
	var health map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, k := range []string{"status", "version", "uptime_s", "components"} {
		if _, ok := health[k]; !ok {
			t.Errorf("health lacks %q: %v", k, health)
		}
	}
	comps, _ := health["components"].(map[string]any)
	for _, c := range []string{"coordinator", "mqtt", "store"} {
		if _, ok := comps[c]; !ok {
			t.Errorf("health lacks component %q", c)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		got := readNotify(t, notify)
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notify after SIGTERM = %q", got)
		}
	}
	waitExit(t, cmd, 0, &stderr)
	if _, err := os.Stat(filepath.Join(dataDir, "zhub.db")); err != nil {
		t.Errorf("database not created: %v", err)
	}
	// Every log line is JSON with module and event.
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		if rec["module"] == nil || rec["event"] == nil {
			t.Errorf("log line lacks module/event: %s", sc.Text())
		}
	}
}

func TestServeStartupFailures(t *testing.T) {
	bin := zhubBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	roDir := t.TempDir()
	os.Chmod(roDir, 0o500)
	defer os.Chmod(roDir, 0o700)

	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"http port in use", []string{"ZHUB_DATA_DIR=" + t.TempDir(), "ZHUB_HTTP_LISTEN=" + busy.Addr().String()},
			[]string{"http.listen", "address already in use"}},
		{"bad channel from env", []string{"ZHUB_DATA_DIR=" + t.TempDir(), "ZHUB_ZIGBEE_CHANNEL=27"},
			[]string{"ZHUB_ZIGBEE_CHANNEL", "zigbee.channel", "11"}},
		{"missing config file", []string{"ZHUB_DATA_DIR=" + t.TempDir(), "ZHUB_CONFIG=/nonexistent/zhub.toml"},
			[]string{"/nonexistent/zhub.toml"}},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			env  []string
			want []string
		}{"unwritable data dir", []string{"ZHUB_DATA_DIR=" + filepath.Join(roDir, "sub")}, []string{"data_dir", "writable"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(baseEnv(t), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitExit(t, cmd, 1, &stderr)
			last := lastLine(stderr.String())
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("last stderr line %q lacks %q", last, w)
				}
			}
		})
	}
}

func TestVersionAndConfigCheck(t *testing.T) {
	bin := zhubBinary(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil || !strings.HasPrefix(string(out), "zhub ") {
			t.Errorf("%v: %q %v", args, out, err)
		}
	}
	cfg := filepath.Join(t.TempDir(), "zhub.toml")
	os.WriteFile(cfg, []byte("[zigbee]\nchannel = 15\n[mqtt]\npassword_env = \"ZHUB_TEST_MQTT_PW\"\n"), 0o600)
	cmd := exec.Command(bin, "config", "check", "--config", cfg)
	cmd.Env = baseEnv(t, "ZHUB_DATA_DIR="+t.TempDir(), "ZHUB_HTTP_LISTEN="+freeAddr(t), "ZHUB_TEST_MQTT_PW=hunter2-secret")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "channel = 15") || strings.Contains(string(out), "hunter2-secret") {
		t.Errorf("config check output wrong or leaks the secret:\n%s", out)
	}
	os.WriteFile(cfg, []byte("[zigbee]\nchanel = 15\n"), 0o600)
	cmd = exec.Command(bin, "config", "check", "--config", cfg)
	cmd.Env = baseEnv(t, "ZHUB_DATA_DIR="+t.TempDir())
	out, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("bad config: exit %v\n%s", err, out)
	}
	if !strings.Contains(string(out), cfg+":2") || !strings.Contains(string(out), "chanel") {
		t.Errorf("bad config message lacks file:line and key:\n%s", out)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func readNotify(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("no notify message: %v", err)
	}
	return string(b[:n])
}

// waitExit waits for the process (bounded, so a hang fails the test rather
// than the whole run) and checks its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, want int, stderr *bytes.Buffer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("exit code %d, want %d\n%s", code, want, stderr.String())
		}
	case <-time.After(stopTimeout + 5*time.Second):
		cmd.Process.Kill()
		t.Fatalf("zhub did not exit in time\n%s", stderr.String())
	}
}

// A missing dongle never stops the daemon: it comes up degraded, says what
// is wrong in /health, keeps retrying, and still stops cleanly (issue 3:
// "it never exits in a restart loop").
func TestServeMissingDongleDegraded(t *testing.T) {
	bin := zhubBinary(t)
	addr := freeAddr(t)
	missing := filepath.Join(t.TempDir(), "ttyUSB9")
	cmd := exec.Command(bin, "serve")
	cmd.Env = baseEnv(t, "ZHUB_DATA_DIR="+t.TempDir(), "ZHUB_HTTP_LISTEN="+addr, "ZHUB_MQTT_ENABLED=false",
		"ZHUB_SERIAL_ADAPTER=znp", "ZHUB_SERIAL_PORT="+missing, "ZHUB_LOG_FORMAT=json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var health struct {
		Status     string
		Components map[string]struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if health.Components["coordinator"].LastError != "" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never reported the missing port: %+v\n%s", health, stderr.String())
		}
		time.Sleep(50 * time.Millisecond) // polling an HTTP endpoint: nothing to wait on
	}
	c := health.Components["coordinator"]
	if health.Status != "degraded" || c.State != "degraded" || !strings.Contains(c.LastError, "no such serial port") {
		t.Errorf("health = %+v", health)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 0, &stderr)
}
