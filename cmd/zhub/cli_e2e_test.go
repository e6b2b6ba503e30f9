package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub/localapi"
)

// spareIEEE is the embedded default's spare light, which is left for a
// real `zhub pair` (its button is pressed once the six others are paired).
const spareIEEE = "0x00124b00a1c00007"

// cliDaemon is a real `zhub serve` on the embedded default (the ZNP
// driver on the emulated dongle, SQLite in a temporary data directory)
// that tests drive with the real binary.
type cliDaemon struct {
	t       *testing.T
	bin     string
	dataDir string
	socket  string
	cmd     *exec.Cmd
	logs    *lineLog
}

func startCLIDaemon(t *testing.T, extraEnv ...string) *cliDaemon {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd, logs := startServe(t, dataDir, freeAddr(t), extraEnv...)
	d := &cliDaemon{t: t, bin: zhubBinary(t), dataDir: dataDir, socket: filepath.Join(dataDir, "zhub.sock"), cmd: cmd, logs: logs}
	// The six default devices are paired and the spare light's button is
	// pressed: from here on a permit join pairs it.
	logs.wait(t, "embedded default paired", func(s string) bool { return strings.Contains(s, `"event":"sim_paired"`) })
	return d
}

// with returns d for use in subtest t (failures belong to t).
func (d *cliDaemon) with(t *testing.T) *cliDaemon {
	c := *d
	c.t = t
	return &c
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// zhub runs the binary against the daemon.
func (d *cliDaemon) zhub(args ...string) cliResult {
	d.t.Helper()
	return d.zhubEnv(nil, args...)
}

func (d *cliDaemon) zhubEnv(attr *syscall.SysProcAttr, args ...string) cliResult {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = baseEnv(d.t, "ZHUB_SOCKET="+d.socket)
	cmd.SysProcAttr = attr
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("zhub %v: %v", args, err)
	}
	return cliResult{stdout.String(), stderr.String(), code}
}

// ok runs a command that must succeed and returns its stdout.
func (d *cliDaemon) ok(args ...string) string {
	d.t.Helper()
	r := d.zhub(args...)
	if r.code != 0 {
		d.t.Fatalf("zhub %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// decodeStrict decodes one JSON document into T, refusing fields T does
// not have: the output has exactly the documented shape.
func decodeStrict[T any](t *testing.T, what, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: not the documented JSON: %v\n%s", what, err, s)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON document:\n%s", what, s)
	}
	return v
}

// decodeLines decodes NDJSON into T values, strictly.
func decodeLines[T any](t *testing.T, what, s string) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, decodeStrict[T](t, what, sc.Text()))
	}
	return out
}

// TestCLIAgainstDaemon is the CLI's acceptance run: the real binary against
// a real daemon on the emulated network.
func TestCLIAgainstDaemon(t *testing.T) {
	d := startCLIDaemon(t)

	t.Run("pair rename set get remove", func(t *testing.T) {
		d := d.with(t)
		out := d.ok("pair", "--count", "1", "--duration", "60")
		for _, want := range []string{
			"Joining is open for",
			spareIEEE + " joined",
			"✓ node_descriptor", "✓ active_endpoints", "✓ simple_descriptor", "✓ basic_attributes",
			"✓ device_attributes", "✓ bind", "✓ configure_reporting",
			"✓ paired " + spareIEEE + ": ZBMINIL2 by SONOFF",
			"capabilities: state (settable)",
			"zhub device rename " + spareIEEE,
			"Joining closed",
			"Done: 1 device(s) paired",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("pair output lacks %q:\n%s", want, out)
			}
		}
		if strings.Count(out, "joined") != 1 {
			t.Errorf("the join is reported more than once:\n%s", out)
		}
		if st := decodeStrict[localapi.Status](t, "status", d.ok("status", "--json")); st.PermitJoin.Open {
			t.Errorf("joining still open after pair: %+v", st.PermitJoin)
		}

		if out := d.ok("device", "rename", spareIEEE, "desk_lamp"); !strings.Contains(out, "renamed "+spareIEEE+" to desk_lamp") {
			t.Errorf("rename: %s", out)
		}
		if out := d.ok("set", "desk_lamp", "state=ON"); strings.TrimSpace(out) != "desk_lamp: state ON" {
			t.Errorf("set: %q", out)
		}
		if out := d.ok("get", "desk_lamp", "state"); !strings.HasPrefix(out, "state") || !strings.Contains(out, "ON") {
			t.Errorf("get: %q", out)
		}
		dev := decodeStrict[localapi.Device](t, "device show", d.ok("device", "show", "desk_lamp", "--json"))
		if dev.State["state"] != "ON" || dev.IEEE != spareIEEE || dev.Definition == nil || dev.Definition.Model != "ZBMINIL2" {
			t.Errorf("device show: %+v", dev)
		}
		if out := d.ok("devices"); !strings.Contains(out, "desk_lamp") || !strings.Contains(out, "ZBMINIL2") {
			t.Errorf("devices table lacks the lamp:\n%s", out)
		}
		if out := d.ok("device", "remove", "desk_lamp"); !strings.Contains(out, "removed desk_lamp ("+spareIEEE+")") {
			t.Errorf("remove: %s", out)
		}
		for _, dev := range decodeStrict[[]localapi.Device](t, "devices", d.ok("devices", "--json")) {
			if dev.IEEE == spareIEEE {
				t.Errorf("removed device still listed: %+v", dev)
			}
		}
	})

	t.Run("json", func(t *testing.T) { testCLIJSON(t, d.with(t)) })
	t.Run("bad input", func(t *testing.T) { testCLIBadInput(t, d.with(t)) })
	t.Run("groups", func(t *testing.T) { testCLIGroups(t, d.with(t)) })
	t.Run("configure", func(t *testing.T) {
		d := d.with(t)
		if out := d.ok("device", "configure", "coffee_plug"); !strings.Contains(out, "configured coffee_plug") {
			t.Errorf("device configure: %q", out)
		}
		dev := decodeStrict[localapi.Device](t, "device configure", d.ok("device", "configure", "coffee_plug", "--json"))
		if dev.FriendlyName != "coffee_plug" {
			t.Errorf("device configure --json: %+v", dev)
		}
		if r := d.zhub("device", "configure", "no_such_device"); r.code != exitFailed || !strings.Contains(r.stderr, "no_such_device") {
			t.Errorf("configure an unknown device: %+v", r)
		}
	})

	stopServe(t, d.cmd, d.logs)
	if _, err := os.Lstat(d.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after the daemon stopped: %v", err)
	}
	r := d.zhub("status")
	if r.code != exitFailed || !strings.Contains(r.stderr, "daemon not running") || !strings.Contains(r.stderr, "zhub serve") {
		t.Errorf("after stop: %+v", r)
	}
}

// testCLIJSON checks that every command's --json output is valid JSON of
// the documented shape (the localapi wire types; docs/cli.md).
func testCLIJSON(t *testing.T, d *cliDaemon) {
	st := decodeStrict[localapi.Status](t, "status", d.ok("status", "--json"))
	if st.Daemon.State != localapi.StateRunning || st.Coordinator == nil || !st.Coordinator.NetworkUp ||
		st.Coordinator.Channel == 0 || st.Devices.Total != 6 || st.Components["store"].State != "ok" {
		t.Errorf("status: %+v", st)
	}
	devs := decodeStrict[[]localapi.Device](t, "devices", d.ok("devices", "--json"))
	if len(devs) != 6 {
		t.Errorf("%d devices, want the 6 defaults", len(devs))
	}
	dev := decodeStrict[localapi.Device](t, "device show", d.ok("device", "show", "kitchen_light", "--json"))
	if dev.FriendlyName != "kitchen_light" || len(dev.Endpoints) == 0 || dev.Definition == nil || len(dev.Definition.Exposes) == 0 {
		t.Errorf("device show: %+v", dev)
	}
	set := decodeStrict[localapi.StateResult](t, "set", d.ok("set", "kitchen_light", "state=ON", "brightness=50%", "--json"))
	if set.Device != "kitchen_light" || set.State["state"] != "ON" || set.State["brightness"] != float64(127) {
		t.Errorf("set: %+v", set)
	}
	set = decodeStrict[localapi.StateResult](t, "set object", d.ok("set", "kitchen_light", `{"brightness":200}`, "--json"))
	if set.State["brightness"] != float64(200) {
		t.Errorf("set with a JSON object: %+v", set)
	}
	got := decodeStrict[localapi.StateResult](t, "get", d.ok("get", "kitchen_light", "--json"))
	if got.State["brightness"] != float64(200) || got.State["state"] != "ON" {
		t.Errorf("get: %+v", got)
	}
	ren := decodeStrict[localapi.Device](t, "rename", d.ok("device", "rename", "coffee_plug", "espresso_plug", "--json"))
	if ren.FriendlyName != "espresso_plug" {
		t.Errorf("rename: %+v", ren)
	}
	d.ok("device", "rename", "espresso_plug", "coffee_plug")
	iv := decodeStrict[localapi.Device](t, "interview", d.ok("device", "interview", "coffee_plug", "--json"))
	if iv.Interview.State != "SUCCESSFUL" {
		t.Errorf("interview: %+v", iv.Interview)
	}
	pj := decodeLines[localapi.Event](t, "pair", d.zhub("pair", "--duration", "1", "--json").stdout)
	if len(pj) < 2 || pj[0].Type != localapi.EventPermitJoin || pj[len(pj)-1].Type != localapi.EventPairDone {
		t.Errorf("pair --json: %+v", pj)
	}

	nt := decodeStrict[localapi.NewToken](t, "token create", d.ok("token", "create", "--name", "phone", "--json"))
	if nt.Name != "phone" || !strings.HasPrefix(nt.Secret, "zhub_") {
		t.Errorf("token create: %+v", nt)
	}
	toks := decodeStrict[[]localapi.Token](t, "token list", d.ok("token", "list", "--json"))
	names := []string{}
	for _, tk := range toks {
		names = append(names, tk.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "phone") {
		t.Errorf("token list: %+v", toks)
	}
	if rv := decodeStrict[localapi.RevokeResult](t, "token revoke", d.ok("token", "revoke", "phone", "--json")); rv.Revoked != "phone" {
		t.Errorf("token revoke: %+v", rv)
	}
	if strings.Contains(d.logs.all(), nt.Secret) {
		t.Error("the new token's secret is in the daemon's log")
	}

	recs := decodeLines[localapi.LogRecord](t, "logs", d.ok("logs", "-n", "20", "--json"))
	if len(recs) == 0 || len(recs) > 20 {
		t.Errorf("logs: %d records", len(recs))
	}
	for _, r := range recs {
		if r.Event == "" || r.Module == "" || r.Msg == "" {
			t.Errorf("log record without module/event/msg: %+v", r)
		}
	}
	chat := decodeLines[localapi.ChatChunk](t, "chat", d.ok("chat", "dim the kitchen light", "--json"))
	// The chat acts (tool call, result, device state as metadata chunks),
	// then answers in text and completes.
	isText := func(c localapi.ChatChunk) bool { return c.Type == localapi.ChunkText && c.Text != "" }
	if len(chat) < 2 || !slices.ContainsFunc(chat, isText) || chat[len(chat)-1].Type != localapi.ChunkComplete {
		t.Errorf("chat: %+v", chat)
	}

	file := filepath.Join(t.TempDir(), "backup.json")
	sum := decodeStrict[backupSummary](t, "backup", d.ok("backup", "--out", file, "--json"))
	if sum.File != file || sum.Channel != st.Coordinator.Channel || sum.PANID != st.Coordinator.PANID {
		t.Errorf("backup summary %+v, status %+v", sum, st.Coordinator)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v", fi, err)
	}
	raw := d.ok("backup") // stdout is not a terminal: the file itself
	var ocb map[string]any
	if err := json.Unmarshal([]byte(raw), &ocb); err != nil || ocb["network_key"] == nil {
		t.Errorf("backup to stdout: %v %.100s", err, raw)
	}
	rs := decodeStrict[localapi.RestoreResult](t, "restore", d.ok("restore", file, "--yes", "--json"))
	if !rs.Restored || rs.Channel != sum.Channel || rs.PANID != sum.PANID {
		t.Errorf("restore: %+v", rs)
	}

	rm := decodeStrict[localapi.RemoveResult](t, "remove", d.ok("device", "remove", "front_door", "--force", "--json"))
	if rm.Removed != "front_door" || !rm.Forced {
		t.Errorf("remove: %+v", rm)
	}
}

// testCLIBadInput: mistakes get one clear line and the right exit code.
func testCLIBadInput(t *testing.T, d *cliDaemon) {
	badBackup := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badBackup, []byte(`{"metadata":{"format":"something else","version":1}}`), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown device", []string{"device", "show", "kitchen_lihgt"}, exitFailed, []string{`unknown device "kitchen_lihgt"`, `did you mean "kitchen_light"?`}},
		{"unknown device on set", []string{"set", "kichen_light", "state=ON"}, exitFailed, []string{`did you mean "kitchen_light"?`}},
		{"unknown property", []string{"set", "kitchen_light", "brightnes=10"}, exitFailed, []string{"unknown property", `did you mean "brightness"?`}},
		{"unknown property on get", []string{"get", "kitchen_light", "colour"}, exitFailed, []string{"unknown property"}},
		{"bad value", []string{"set", "kitchen_light", "state=BLUE"}, exitFailed, []string{"invalid value", "ON, OFF, TOGGLE"}},
		{"not a number", []string{"set", "kitchen_light", "brightness=bright"}, exitFailed, []string{"invalid value"}},
		{"out of range", []string{"set", "kitchen_light", "brightness=300"}, exitFailed, []string{"out of range"}},
		{"read-only", []string{"set", "bedroom_sensor", "temperature=20"}, exitFailed, []string{"read-only"}},
		{"duplicate name", []string{"device", "rename", "kitchen_light", "coffee_plug"}, exitFailed, []string{"already in use"}},
		{"reserved name", []string{"device", "rename", "kitchen_light", "bridge"}, exitFailed, []string{"invalid friendly name"}},
		{"bad token name", []string{"token", "create", "--name", "my phone"}, exitFailed, []string{"invalid token name"}},
		{"unknown token", []string{"token", "revoke", "tablet"}, exitFailed, []string{"no such token"}},
		{"pair via an end device", []string{"pair", "--via", "bedroom_sensor", "--duration", "5"}, exitFailed, []string{"not a router"}},
		{"bad backup file", []string{"restore", badBackup, "--yes"}, exitFailed, []string{"metadata.format"}},
		{"malformed assignment", []string{"set", "kitchen_light", "state"}, exitUsage, []string{"not key=value"}},
		{"restore unconfirmed", []string{"restore", badBackup}, exitFailed, []string{"metadata.format"}},
		{"daemon down", []string{"status", "--socket", filepath.Join(d.dataDir, "other.sock")}, exitFailed,
			[]string{"daemon not running", "sudo systemctl start zhub", "zhub serve"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := d.with(t).zhub(tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "zhub: ") {
				t.Errorf("stderr is not one \"zhub: \" line: %q", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout on failure: %q", r.stdout)
			}
		})
	}

	t.Run("socket without permission", func(t *testing.T) {
		d := d.with(t)
		var attr *syscall.SysProcAttr
		if os.Geteuid() == 0 {
			// root passes every permission check: run the client as nobody,
			// from a copy of the binary that nobody may execute.
			attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			dir, err := os.MkdirTemp("", "zhub-nobody-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			os.Chmod(dir, 0o755)
			bin, err := os.ReadFile(d.bin)
			if err != nil {
				t.Fatal(err)
			}
			d.bin = filepath.Join(dir, "zhub")
			if err := os.WriteFile(d.bin, bin, 0o755); err != nil {
				t.Fatal(err)
			}
		} else {
			os.Chmod(d.socket, 0)
			defer os.Chmod(d.socket, localapi.SocketMode)
		}
		r := d.zhubEnv(attr, "devices")
		if r.code != exitFailed || strings.Count(r.stderr, "\n") != 1 ||
			!strings.Contains(r.stderr, "permission denied on "+d.socket) || !strings.Contains(r.stderr, "zhub group") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
