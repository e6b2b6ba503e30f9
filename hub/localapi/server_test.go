package localapi_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee/sim"
)

func TestPairAndControl(t *testing.T) {
	e := startEnv(t, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	ctx := t.Context()
	evs := e.pairLight(t)

	// The stream tells the whole story, in order.
	if evs[0].Type != localapi.EventPermitJoin || evs[0].PermitJoin == nil || !evs[0].PermitJoin.Open || evs[0].PermitJoin.Until.IsZero() {
		t.Errorf("first event %+v, want permit_join open with until", evs[0])
	}
	var steps []string
	var joined, succeeded, closed bool
	for _, ev := range evs {
		switch ev.Type {
		case localapi.EventDeviceJoined:
			joined = joined || ev.IEEE == ieeeString(spareLight) && ev.New
		case localapi.EventInterview:
			if !joined {
				t.Errorf("interview event before device_joined: %+v", ev)
			}
			switch ev.Interview.State {
			case hub.InterviewInProgress:
				steps = append(steps, ev.Interview.Step)
			case hub.InterviewSuccessful:
				succeeded = true
				if ev.Definition == nil || ev.Definition.Model == "" || ev.Definition.Vendor == "" || len(ev.Definition.Exposes) == 0 {
					t.Errorf("successful interview without a definition: %+v", ev.Definition)
				}
			case hub.InterviewFailed:
				t.Errorf("interview failed: %s", ev.Interview.Error)
			}
		case localapi.EventPermitJoin:
			closed = ev.PermitJoin != nil && !ev.PermitJoin.Open
		}
	}
	if !joined || !succeeded || !closed {
		t.Errorf("joined %v, interview succeeded %v, join closed at the end %v:\n%+v", joined, succeeded, closed, evs)
	}
	for _, want := range []string{"node_descriptor", "active_endpoints", "simple_descriptor", "basic_attributes"} {
		if !slices.Contains(steps, want) {
			t.Errorf("interview steps %v lack %s", steps, want)
		}
	}
	last := evs[len(evs)-1]
	if last.Reason != localapi.PairCount || last.Interviewed != 1 {
		t.Errorf("last event %+v, want pair_done count 1", last)
	}
	st := must[localapi.Status](t)(e.client.Status(ctx))
	if st.PermitJoin.Open || st.Daemon.State != localapi.StateRunning || st.Coordinator == nil || !st.Coordinator.NetworkUp || st.Devices.Total != 1 {
		t.Errorf("status after pairing: %+v", st)
	}

	name := ieeeString(spareLight)
	devs := must[[]localapi.Device](t)(e.client.Devices(ctx))
	if len(devs) != 1 || devs[0].FriendlyName != name || devs[0].Definition == nil || devs[0].Interview.State != hub.InterviewSuccessful {
		t.Fatalf("devices: %+v", devs)
	}
	d := must[localapi.Device](t)(e.client.Rename(ctx, name, "desk_lamp"))
	if d.FriendlyName != "desk_lamp" || d.IEEE != name {
		t.Errorf("renamed device: %+v", d)
	}
	set := must[localapi.StateResult](t)(e.client.Set(ctx, "desk_lamp", map[string]any{"state": "ON"}))
	if set.Device != "desk_lamp" || set.State["state"] != "ON" {
		t.Errorf("set answered %+v", set)
	}
	got := must[localapi.StateResult](t)(e.client.Get(ctx, "desk_lamp", "state"))
	if got.State["state"] != "ON" {
		t.Errorf("get answered %+v", got)
	}
	if info, err := e.net.Device(ctx, spareLight); err != nil || !info.OnOff {
		t.Errorf("the virtual light is not on: %+v, %v", info, err)
	}

	refusals := []struct {
		name   string
		call   func() error
		status int
		code   string
		sugg   string
	}{
		{"unknown device", func() error { _, err := e.client.Device(ctx, "desk_lmap"); return err }, 404, localapi.CodeUnknownDevice, "desk_lamp"},
		{"unknown device on set", func() error {
			_, err := e.client.Set(ctx, "desk-lamp", map[string]any{"state": "ON"})
			return err
		}, 404, localapi.CodeUnknownDevice, "desk_lamp"},
		{"unknown property", func() error {
			_, err := e.client.Set(ctx, "desk_lamp", map[string]any{"stat": "ON"})
			return err
		}, 400, localapi.CodeUnknownProperty, "state"},
		{"bad value", func() error {
			_, err := e.client.Set(ctx, "desk_lamp", map[string]any{"state": "BLUE"})
			return err
		}, 400, localapi.CodeInvalidValue, ""},
		{"nothing to set", func() error { _, err := e.client.Set(ctx, "desk_lamp", nil); return err }, 400, localapi.CodeBadRequest, ""},
		{"reserved name", func() error { _, err := e.client.Rename(ctx, "desk_lamp", "bridge"); return err }, 400, localapi.CodeInvalidName, ""},
		{"permit join too long", func() error { _, err := e.client.PermitJoin(ctx, 999, ""); return err }, 400, localapi.CodeBadRequest, ""},
		{"pair count negative", func() error { _, err := e.client.Pair(ctx, localapi.PairRequest{Count: -1}); return err }, 400, localapi.CodeBadRequest, ""},
		{"permit join via an end device", func() error {
			_, err := e.client.PermitJoin(ctx, 10, "no_such_router")
			return err
		}, 404, localapi.CodeUnknownDevice, ""},
		{"no chat service", func() error { _, err := e.client.Chat(ctx, localapi.ChatRequest{Text: "hi"}); return err }, 503, localapi.CodeUnavailable, ""},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			ae, ok := errors.AsType[*localapi.APIError](err)
			if !ok {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Suggestion != tc.sugg {
				t.Errorf("got %d %s %q (%s), want %d %s %q", ae.Status, ae.Code, ae.Suggestion, ae.Message, tc.status, tc.code, tc.sugg)
			}
			if strings.HasPrefix(ae.Message, "hub: ") || strings.Contains(ae.Message, "\n") {
				t.Errorf("message %q is not one clean line", ae.Message)
			}
		})
	}

	rm := must[localapi.RemoveResult](t)(e.client.Remove(ctx, "desk_lamp", false))
	if rm.Removed != "desk_lamp" || rm.IEEE != name || rm.Forced {
		t.Errorf("remove answered %+v", rm)
	}
	if _, err := e.client.Device(ctx, "desk_lamp"); !isCode(err, localapi.CodeUnknownDevice) {
		t.Errorf("device after remove: %v", err)
	}
}

func isCode(err error, code string) bool {
	ae, ok := errors.AsType[*localapi.APIError](err)
	return ok && ae.Code == code
}

// TestPairClientGoneClosesJoin: a client that goes away (Ctrl-C, a dropped
// SSH session) leaves the network closed.
func TestPairClientGoneClosesJoin(t *testing.T) {
	e := startEnv(t, envOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	st, err := e.client.Pair(ctx, localapi.PairRequest{DurationS: 200})
	if err != nil {
		t.Fatal(err)
	}
	first, err := st.Next()
	if err != nil || first.Type != localapi.EventPermitJoin || !first.PermitJoin.Open {
		t.Fatalf("first event %+v, %v", first, err)
	}
	if s := e.hub.Status(); s.PermitJoinUntil.IsZero() {
		t.Fatal("hub says joining is closed while pairing")
	}
	cancel()
	st.Close()
	hubtest.WaitFor(t, e.sub, func(ev hub.PermitJoinChanged) bool { return !ev.Open })
	if s := e.hub.Status(); !s.PermitJoinUntil.IsZero() {
		t.Errorf("joining still open until %v", s.PermitJoinUntil)
	}
}

func TestPermitJoinWaitsForTheCoordinator(t *testing.T) {
	e := startEnv(t, envOptions{})
	ctx := t.Context()
	pj := must[localapi.PermitJoin](t)(e.client.PermitJoin(ctx, 30, ""))
	if !pj.Open || pj.Until.IsZero() {
		t.Errorf("open answered %+v", pj)
	}
	if st := must[localapi.Status](t)(e.client.Status(ctx)); !st.PermitJoin.Open {
		t.Errorf("status after open: %+v", st.PermitJoin)
	}
	pj = must[localapi.PermitJoin](t)(e.client.PermitJoin(ctx, 0, ""))
	if pj.Open {
		t.Errorf("close answered %+v", pj)
	}
	if st := must[localapi.Status](t)(e.client.Status(ctx)); st.PermitJoin.Open {
		t.Errorf("status after close: %+v", st.PermitJoin)
	}
}

func TestEventsStream(t *testing.T) {
	e := startEnv(t, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	e.pairLight(t)
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	name := ieeeString(spareLight)
	if _, err := e.client.Events(ctx, "nonexistent"); !isCode(err, localapi.CodeUnknownDevice) {
		t.Errorf("events of an unknown device: %v", err)
	}
	st, err := e.client.Events(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := e.client.Set(ctx, name, map[string]any{"state": "ON"}); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := st.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.IEEE != name {
			t.Errorf("filtered stream carried %+v", ev)
		}
		if ev.Type == localapi.EventState && ev.State["state"] == "ON" {
			break
		}
	}
}

func TestStarting(t *testing.T) {
	e := startEnv(t, envOptions{noHub: true})
	ctx := t.Context()
	st := must[localapi.Status](t)(e.client.Status(ctx))
	if st.Daemon.State != localapi.StateStarting || st.Coordinator != nil || st.Daemon.PID != os.Getpid() || st.Daemon.Socket != e.socket {
		t.Errorf("status while starting: %+v", st)
	}
	for name, call := range map[string]func() error{
		"devices": func() error { _, err := e.client.Devices(ctx); return err },
		"pair":    func() error { _, err := e.client.Pair(ctx, localapi.PairRequest{}); return err },
		"tokens":  func() error { _, err := e.client.Tokens(ctx); return err },
	} {
		if err := call(); !errors.Is(err, localapi.ErrStarting) {
			t.Errorf("%s while starting: %v, want ErrStarting", name, err)
		}
	}
	if _, err := e.client.Chat(ctx, localapi.ChatRequest{Text: "hi"}); !errors.Is(err, localapi.ErrChatUnavailable) {
		t.Errorf("chat: %v", err)
	}

	// A daemon whose coordinator is disabled runs without a hub.
	e.srv.SetNoHub(errors.New("serial.port is not set"))
	if st := must[localapi.Status](t)(e.client.Status(ctx)); st.Daemon.State != localapi.StateRunning || st.Coordinator != nil {
		t.Errorf("status without a hub: %+v", st)
	}
	_, err := e.client.Devices(ctx)
	if ae, ok := errors.AsType[*localapi.APIError](err); !ok || ae.Code != localapi.CodeNotRunning || !strings.Contains(ae.Message, "serial.port is not set") {
		t.Errorf("devices without a hub: %v", err)
	}
}

func TestConnectErrors(t *testing.T) {
	dir := shortTempDir(t)
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	regular := filepath.Join(dir, "file")
	os.WriteFile(regular, nil, 0o600)
	tests := []struct {
		name, socket string
		want         error
	}{
		{"no socket", filepath.Join(dir, "absent.sock"), localapi.ErrNotRunning},
		{"stale socket", stale, localapi.ErrNotRunning},
		{"not a socket", regular, localapi.ErrNotRunning},
		{"missing directory", filepath.Join(dir, "nodir", "zhub.sock"), localapi.ErrNotRunning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &localapi.Client{Socket: tc.socket}
			_, err := c.Status(t.Context())
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			ce, ok := errors.AsType[*localapi.ConnectError](err)
			if !ok || ce.Socket != tc.socket {
				t.Errorf("error %#v lacks the socket", err)
			}
		})
	}
	// Not listening as HTTP: something else owns the socket.
	odd := filepath.Join(dir, "odd.sock")
	oln, err := net.Listen("unix", odd)
	if err != nil {
		t.Fatal(err)
	}
	defer oln.Close()
	go func() {
		c, err := oln.Accept()
		if err == nil {
			c.Read(make([]byte, 4096)) // the request
			c.Write([]byte("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 5\r\n\r\nshort"))
			c.Close()
		}
	}()
	c := &localapi.Client{Socket: odd}
	if _, err := c.Status(t.Context()); !errors.Is(err, localapi.ErrProtocol) {
		t.Errorf("foreign server: %v, want ErrProtocol", err)
	}
}

func TestListen(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "sub", "zhub.sock")
	a, _ := localapi.New(localapi.Config{Socket: path})
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != localapi.SocketMode {
		t.Errorf("socket mode %v, %v; want %v", fi.Mode(), err, localapi.SocketMode)
	}
	b, _ := localapi.New(localapi.Config{Socket: path})
	if err := b.Listen(); err == nil || !strings.Contains(err.Error(), "another zhub daemon") {
		t.Errorf("second daemon on the socket: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after Run: %v", err)
	}

	// A stale socket (a crashed daemon) is replaced; a regular file is not.
	ln, _ := net.Listen("unix", path)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	c, _ := localapi.New(localapi.Config{Socket: path})
	if err := c.Listen(); err != nil {
		t.Errorf("stale socket: %v", err)
	}
	file := filepath.Join(dir, "file.sock")
	os.WriteFile(file, []byte("keep me"), 0o600)
	d, _ := localapi.New(localapi.Config{Socket: file})
	if err := d.Listen(); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Error("the regular file was touched")
	}
	if _, err := localapi.New(localapi.Config{}); err == nil {
		t.Error("New without a socket succeeded")
	}
	if err := (&localapi.Server{}).Run(t.Context()); err == nil {
		t.Error("Run before Listen succeeded")
	}
}

func TestMount(t *testing.T) {
	e := startEnv(t, envOptions{noHub: true})
	e.srv.Mount("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "mcp here") }))
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", e.socket)
	}}}
	resp, err := hc.Get("http://zhub/mcp")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "mcp here" {
		t.Errorf("mounted handler answered %q", body)
	}
	resp, err = hc.Get("http://zhub/localapi/v0/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown endpoint: %d", resp.StatusCode)
	}
	defer func() {
		if recover() == nil {
			t.Error("mounting twice did not panic")
		}
	}()
	e.srv.Mount("/mcp", http.NotFoundHandler())
}

// TestPairDevicePressedBefore: a device waiting to join (its button was
// pressed before pairing started) joins the moment joining opens, possibly
// before the coordinator's confirmation reaches the hub's event bus; the
// stream must still see it and end at --count.
func TestPairDevicePressedBefore(t *testing.T) {
	e := startEnv(t, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	if err := e.net.Press(ctx, spareLight); err != nil {
		t.Fatal(err)
	}
	st, err := e.client.Pair(ctx, localapi.PairRequest{DurationS: 60, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var types []string
	for {
		ev, err := st.Next()
		if err != nil {
			t.Fatalf("stream ended with %v after %v", err, types)
		}
		types = append(types, ev.Type)
		if ev.Type == localapi.EventPairDone {
			if ev.Reason != localapi.PairCount || ev.Interviewed != 1 {
				t.Errorf("pair_done %+v", ev)
			}
			break
		}
	}
	if types[0] != localapi.EventPermitJoin || !slices.Contains(types, localapi.EventDeviceJoined) {
		t.Errorf("events %v", types)
	}
}
