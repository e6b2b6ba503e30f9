package hub_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = 30 * time.Second

// Addresses of sim.DefaultDevices.
var (
	colorLight = sim.DefaultDevices()[0].IEEE
	dimmable   = sim.DefaultDevices()[1].IEEE
	plug       = sim.DefaultDevices()[2].IEEE
	thSensor   = sim.DefaultDevices()[3].IEEE
	contact    = sim.DefaultDevices()[4].IEEE
	remote     = sim.DefaultDevices()[5].IEEE
	spareLight = sim.DefaultDevices()[6].IEEE
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// fastSim is a quick emulated network whose state lives in dir.
func fastSim(dir string, devices ...sim.DeviceSpec) sim.Config {
	return sim.Config{
		StatePath:    filepath.Join(dir, "sim.json"),
		Devices:      devices,
		ConfirmDelay: time.Millisecond,
		DeviceDelay:  2 * time.Millisecond,
		ResetDelay:   5 * time.Millisecond,
		Seed:         1,
	}
}

// startSim runs an emulated network until stop is called or the test ends.
type simRun struct {
	net    *sim.Network
	cancel context.CancelFunc
	done   chan error
}

func startSim(t testing.TB, cfg sim.Config) *simRun {
	t.Helper()
	n, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &simRun{net: n, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *simRun) stop(t testing.TB) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("sim Run: %v", err)
	}
}

// stack is the real thing above the sim: ZNP driver, SQLite store, hub.
type stack struct {
	t      testing.TB
	hub    *hub.Hub
	drv    *znp.Driver
	st     *store.Store
	sub    *hub.Subscription
	cancel context.CancelFunc
	g      *errgroup.Group
}

// startStack starts driver, store and hub on the sim and waits for the
// network. dbPath "" runs the hub without a store. tweak may adjust the
// hub config.
func startStack(t testing.TB, n *sim.Network, dbPath string, tweak func(*hub.Config)) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{t: t, cancel: cancel}
	drv, err := znp.New(znp.Config{Open: n.OpenZNP, Logger: testLogger(t).With("module", "znp"),
		ZDOTimeout: 2 * time.Second, ConfirmTimeout: 2 * time.Second, MaxTransactions: 32})
	if err != nil {
		t.Fatal(err)
	}
	s.drv = drv
	cfg := hub.Config{Coordinator: drv, Logger: testLogger(t).With("module", "hub"),
		CommandTimeout: 2 * time.Second, InterviewBackoff: 10 * time.Millisecond, FlushInterval: 50 * time.Millisecond}
	if dbPath != "" {
		st, err := store.Open(ctx, store.Config{Path: dbPath, Durability: store.DurableProcessCrash})
		if err != nil {
			t.Fatal(err)
		}
		s.st = st
		cfg.Store = storeAdapter{st}
	}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := hub.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.hub = h
	s.sub = h.Subscribe(4096)
	g := &errgroup.Group{}
	s.g = g
	g.Go(func() error { return drv.Run(ctx) })
	g.Go(func() error { return h.Run(ctx) })
	t.Cleanup(s.stop)
	<-h.Ready()
	waitFor(t, s.sub, func(e hub.NetworkChanged) bool { return e.Up })
	return s
}

// stop stops hub and driver and closes the store.
func (s *stack) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := s.g.Wait(); err != nil {
		s.t.Errorf("stack: %v", err)
	}
	if s.st != nil {
		if err := s.st.Close(context.Background()); err != nil {
			s.t.Errorf("store close: %v", err)
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

// pair presses the devices' buttons, opens joining and waits until each
// is interviewed; it returns the definitions by address.
func pair(t testing.TB, s *stack, n *sim.Network, devices ...zigbee.IEEE) map[zigbee.IEEE]*hub.Definition {
	t.Helper()
	ctx := context.Background()
	for _, d := range devices {
		if err := n.Press(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	defs := map[zigbee.IEEE]*hub.Definition{}
	for len(defs) < len(devices) {
		e := waitFor(t, s.sub, func(e hub.InterviewProgress) bool {
			return e.Interview.State == hub.InterviewSuccessful || e.Interview.State == hub.InterviewFailed
		})
		if e.Interview.State == hub.InterviewFailed {
			t.Fatalf("interview of %v failed: %s", e.IEEE, e.Interview.Error)
		}
		defs[e.IEEE] = e.Definition
	}
	if err := s.hub.PermitJoin(ctx, 0, ""); err != nil {
		t.Fatal(err)
	}
	return defs
}

// storeAdapter is the hub.Store adapter over SQLite, as cmd/zhub wires it
// (kept in step with cmd/zhub/hub.go; the hub cannot import hub/store).
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for _, d := range devices {
		g.Go(func() error {
			return a.s.PutDevice(gctx, store.Device{IEEE: d.IEEE.String(), NWK: uint16(d.NWK), FriendlyName: d.FriendlyName, Model: d.Model, Vendor: d.Vendor, Data: d.Data})
		})
	}
	return g.Wait()
}

func (a storeAdapter) DeleteDevice(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.s.DeleteDevice(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func (a storeAdapter) SaveStates(ctx context.Context, states []hub.StoredState) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for _, s := range states {
		g.Go(func() error { return a.s.PutState(gctx, s.IEEE.String(), s.State, s.At) })
	}
	return g.Wait()
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

var _ = io.EOF
