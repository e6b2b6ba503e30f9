package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = 30 * time.Second

// The virtual devices the tests pair, and the names they get.
var (
	colorLight = sim.DefaultDevices()[0].IEEE // living_room_lamp
	dimmable   = sim.DefaultDevices()[1].IEEE // kitchen_light
	plug       = sim.DefaultDevices()[2].IEEE // coffee_plug
	thSensor   = sim.DefaultDevices()[3].IEEE // bedroom_sensor
	contact    = sim.DefaultDevices()[4].IEEE // front_door
)

var names = map[zigbee.IEEE]string{
	colorLight: "living_room_lamp", dimmable: "kitchen_light", plug: "coffee_plug", thSensor: "bedroom_sensor", contact: "front_door",
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("MCP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// env is the MCP device context on a real hub over the ZNP driver, the
// emulated dongle and a SQLite store, with the five devices paired and
// named.
type env struct {
	t      testing.TB
	net    *sim.Network
	hub    *hub.Hub
	st     *store.Store
	tokens *auth.Tokens
	srv    *mcp.Server
	sub    *hub.Subscription
	ctx    context.Context
}

type envOptions struct {
	guarded []string
	devices []zigbee.IEEE // default: all five
}

func start(t testing.TB, o envOptions) *env {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, ctx: ctx}
	g := &errgroup.Group{}
	var st *store.Store
	t.Cleanup(func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stack: %v", err)
		}
		if st != nil {
			if err := st.Close(context.Background()); err != nil {
				t.Errorf("store close: %v", err)
			}
		}
	})
	devs := o.devices
	if devs == nil {
		devs = []zigbee.IEEE{colorLight, dimmable, plug, thSensor, contact}
	}
	var specs []sim.DeviceSpec
	for _, d := range sim.DefaultDevices() {
		for _, want := range devs {
			if d.IEEE == want {
				specs = append(specs, d)
			}
		}
	}
	n, err := sim.New(sim.Config{StatePath: filepath.Join(dir, "sim.json"), Devices: specs, ConfirmDelay: time.Millisecond,
		DeviceDelay: 2 * time.Millisecond, ResetDelay: 5 * time.Millisecond, Seed: 1, Logger: testLogger(t).With("module", "sim")})
	if err != nil {
		t.Fatal(err)
	}
	e.net = n
	g.Go(func() error { return n.Run(ctx) })
	drv, err := znp.New(znp.Config{Open: n.OpenZNP, Logger: testLogger(t).With("module", "znp"),
		ZDOTimeout: 2 * time.Second, ConfirmTimeout: 2 * time.Second, MaxTransactions: 32})
	if err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(ctx, store.Config{Path: filepath.Join(dir, "zhub.db"), Durability: store.DurableProcessCrash})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	h, err := hub.New(hub.Config{Coordinator: drv, Store: storeAdapter{st}, Logger: testLogger(t).With("module", "hub"),
		CommandTimeout: 2 * time.Second, InterviewBackoff: 10 * time.Millisecond, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.hub = h
	e.sub = h.Subscribe(4096)
	g.Go(func() error { return drv.Run(ctx) })
	g.Go(func() error { return h.Run(ctx) })
	<-h.Ready()
	waitFor(t, e.sub, func(ev hub.NetworkChanged) bool { return ev.Up })
	e.pair(devs...)

	tokens, err := auth.New(auth.Config{Store: authstore.Store{S: st}})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = tokens
	srv, err := mcp.New(mcp.Config{Hub: h, Contexts: contextAdapter{st}, GuardedTools: o.guarded, Version: "test",
		Logger: testLogger(t).With("module", "mcp"), Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	g.Go(func() error { return srv.Run(ctx) })
	return e
}

// pair presses the devices' buttons, opens joining, waits for their
// interviews and names them.
func (e *env) pair(devs ...zigbee.IEEE) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	for _, d := range devs {
		if err := e.net.Press(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	done := map[zigbee.IEEE]bool{}
	for len(done) < len(devs) {
		ev := waitFor(t, e.sub, func(ev hub.InterviewProgress) bool {
			return ev.Interview.State == hub.InterviewSuccessful || ev.Interview.State == hub.InterviewFailed
		})
		if ev.Interview.State == hub.InterviewFailed {
			t.Fatalf("interview of %v failed: %s", ev.IEEE, ev.Interview.Error)
		}
		done[ev.IEEE] = true
	}
	if err := e.hub.PermitJoin(ctx, 0, ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if err := e.hub.Rename(ctx, d.String(), names[d]); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor returns the next event of type T that ok accepts.
func waitFor[T hub.Event](t testing.TB, sub *hub.Subscription, ok func(T) bool) T {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-sub.C():
			if !open {
				t.Fatalf("subscription closed while waiting for %T", *new(T))
			}
			if e, is := ev.(T); is && ok(e) {
				return e
			}
		case <-timer.C:
			t.Fatalf("no %T within %v", *new(T), guard)
		}
	}
}

// local opens an in-memory session at a protocol version ("" = newest).
func (e *env) local(version string, opts *sdk.ClientOptions) *sdk.ClientSession {
	e.t.Helper()
	l, err := e.srv.Connect(e.ctx, mcp.LocalOptions{ProtocolVersion: version, ClientOptions: opts, Client: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() })
	return l.Session()
}

// httpServer serves the device context's /mcp on a test listener.
func (e *env) httpServer(cfg mcp.HTTPConfig) *httptest.Server {
	e.t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = e.tokens
	}
	h, err := e.srv.Handler(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	ts := httptest.NewServer(mux)
	e.t.Cleanup(func() {
		h.Close()
		ts.Close()
	})
	return ts
}

// token creates an API token.
func (e *env) token(name string) string {
	e.t.Helper()
	secret, err := e.tokens.Create(e.ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// bearer adds a token to every request.
type bearer struct {
	token string
	base  http.RoundTripper
	// sessions records the Mcp-Session-Id of every answer ("" when none).
	sessions chan string
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	base := b.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err == nil && b.sessions != nil && r.Method == http.MethodPost {
		select {
		case b.sessions <- resp.Header.Get("Mcp-Session-Id"):
		default:
		}
	}
	return resp, err
}

// remote opens a Streamable HTTP session at a protocol version.
func (e *env) remote(url, token, version string, opts *sdk.ClientOptions, rt *bearer) *sdk.ClientSession {
	e.t.Helper()
	if rt == nil {
		rt = &bearer{}
	}
	rt.token = token
	client := sdk.NewClient(&sdk.Implementation{Name: "test-http", Version: "1"}, opts)
	cs, err := client.Connect(e.ctx, &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: rt},
		MaxRetries: -1}, &sdk.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cs.Close() })
	return cs
}

// contextAdapter is the mcp.ContextStore adapter over SQLite, as cmd/zhub
// wires it.
type contextAdapter struct{ s *store.Store }

func (a contextAdapter) LoadContexts(ctx context.Context) ([]mcp.DeviceContext, error) {
	cs, err := a.s.DeviceContexts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mcp.DeviceContext, 0, len(cs))
	for _, c := range cs {
		ieee, err := zigbee.ParseIEEE(c.IEEE)
		if err != nil {
			return nil, err
		}
		dc := mcp.DeviceContext{IEEE: ieee, Room: c.Room, Aliases: c.Aliases, Notes: c.Notes}
		if err := json.Unmarshal(c.Rules, &dc.Rules); err != nil {
			return nil, err
		}
		out = append(out, dc)
	}
	return out, nil
}

func (a contextAdapter) SaveContext(ctx context.Context, c mcp.DeviceContext) error {
	rules, err := json.Marshal(c.Rules)
	if err != nil {
		return err
	}
	return a.s.PutDeviceContext(ctx, store.DeviceContext{IEEE: c.IEEE.String(), Room: c.Room, Aliases: c.Aliases, Notes: c.Notes, Rules: rules})
}

func (a contextAdapter) DeleteContext(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.s.DeleteDeviceContext(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// storeAdapter is the hub.Store adapter over SQLite, as cmd/zhub wires it
// (the hub cannot import hub/store).
type storeAdapter struct{ s *store.Store }

func (a storeAdapter) LoadDevices(ctx context.Context) ([]hub.StoredDevice, error) {
	devs, err := a.s.Devices(ctx)
	if err != nil {
		return nil, err
	}
	states, err := a.s.States(ctx)
	if err != nil {
		return nil, err
	}
	var out []hub.StoredDevice
	for _, d := range devs {
		ieee, err := zigbee.ParseIEEE(d.IEEE)
		if err != nil {
			return nil, err
		}
		sd := hub.StoredDevice{IEEE: ieee, NWK: zigbee.NWK(d.NWK), FriendlyName: d.FriendlyName, Model: d.Model, Vendor: d.Vendor, Data: d.Data}
		if st, ok := states[d.IEEE]; ok {
			sd.State, sd.StateAt = st.State, st.UpdatedAt
		}
		out = append(out, sd)
	}
	return out, nil
}

func (a storeAdapter) SaveDevices(ctx context.Context, devices []hub.StoredDevice) error {
	for _, d := range devices {
		if err := a.s.PutDevice(ctx, store.Device{IEEE: d.IEEE.String(), NWK: uint16(d.NWK), FriendlyName: d.FriendlyName,
			Model: d.Model, Vendor: d.Vendor, Data: d.Data}); err != nil {
			return err
		}
	}
	return nil
}

func (a storeAdapter) DeleteDevice(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.s.DeleteDevice(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func (a storeAdapter) SaveStates(ctx context.Context, states []hub.StoredState) error {
	for _, s := range states {
		if err := a.s.PutState(ctx, s.IEEE.String(), s.State, s.At); err != nil {
			return err
		}
	}
	return nil
}

func (a storeAdapter) AppendHistory(ctx context.Context, points []hub.HistoryPoint) error {
	pts := make([]store.HistoryPoint, len(points))
	for i, p := range points {
		pts[i] = store.HistoryPoint{IEEE: p.IEEE.String(), Property: p.Property, At: p.At, Value: p.Value}
	}
	return a.s.AppendHistory(ctx, pts...)
}

func (a storeAdapter) History(ctx context.Context, ieee zigbee.IEEE, property string, from, to time.Time, limit int) ([]hub.HistoryPoint, error) {
	pts, err := a.s.History(ctx, ieee.String(), property, from, to, limit)
	if err != nil {
		return nil, err
	}
	out := make([]hub.HistoryPoint, len(pts))
	for i, p := range pts {
		out[i] = hub.HistoryPoint{IEEE: ieee, Property: p.Property, At: p.At, Value: p.Value}
	}
	return out, nil
}
