package hubtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubstore"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// Guard bounds every wait for something that must happen. It is a hang
// guard, not a timing assertion.
const Guard = 30 * time.Second

// DefaultEvents is the buffer of Stack.Sub when Config.Events is 0.
const DefaultEvents = 4096

// Logger discards unless ZHUB_TEST_LOG is set; then it writes text at
// debug level to stderr, each line naming the test.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("ZHUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// OpenStore opens a SQLite store (a fresh zhub.db in t.TempDir, with
// store.DurableProcessCrash as Stack uses) for tests of what sits on the
// store, and closes it at cleanup. Closing it earlier is allowed.
func OpenStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "zhub.db"), Durability: store.DurableProcessCrash})
	if err != nil {
		t.Fatalf("hubtest: open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("hubtest: store close: %v", err)
		}
	})
	return st
}

// SimConfig is a quick emulated network with the given devices whose state
// lives in dir (sim.json), with a fixed seed.
func SimConfig(dir string, devices ...sim.DeviceSpec) sim.Config {
	return sim.Config{
		StatePath:    filepath.Join(dir, "sim.json"),
		Devices:      devices,
		ConfirmDelay: time.Millisecond,
		DeviceDelay:  2 * time.Millisecond,
		ResetDelay:   5 * time.Millisecond,
		Seed:         1,
	}
}

// Sim is a running emulated network.
type Sim struct {
	Net *sim.Network

	cancel context.CancelFunc
	done   chan error
}

// NewSim creates the network of cfg and runs it until Close.
func NewSim(cfg sim.Config) (*Sim, error) {
	n, err := sim.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("hubtest: new sim: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sim{Net: n, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- n.Run(ctx) }()
	return s, nil
}

// StartSim is NewSim for a test: it fails the test on error and stops the
// network at cleanup.
func StartSim(t testing.TB, cfg sim.Config) *Sim {
	t.Helper()
	s, err := NewSim(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Close stops the network, waits for it and returns the error its Run
// returned. Later calls do nothing and return nil.
func (s *Sim) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		return fmt.Errorf("hubtest: sim run: %w", err)
	}
	return nil
}

// Stop is Close with its error reported on t.
func (s *Sim) Stop(t testing.TB) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// Config configures a Stack.
type Config struct {
	// DBPath is the SQLite file of the hub's store (opened with
	// store.DurableProcessCrash); "" runs the hub without a store.
	DBPath string
	// Logger; nil discards (StartStack: nil means Logger(t)). The driver
	// and the hub log with a module attribute.
	Logger *slog.Logger
	// Events is the buffer of Stack.Sub (default DefaultEvents).
	Events int
	// Tweak, if set, adjusts the hub's configuration before hub.New.
	Tweak func(*hub.Config)
}

// Stack is a running ZNP driver and hub on an emulated network, and the
// store under the hub if there is one.
type Stack struct {
	Hub    *hub.Hub
	Driver *znp.Driver
	// Store is nil without Config.DBPath.
	Store *store.Store
	// Sub was subscribed before the hub ran, so it sees every event;
	// NewStack has consumed those up to the network coming up.
	Sub *hub.Subscription

	cancel context.CancelFunc
	g      *errgroup.Group
}

// NewStack starts the driver on n's ZNP dongle, opens the store and runs
// the hub, then waits until the hub has loaded its registry and the
// network is up. ctx bounds the start only; the stack runs until Close.
func NewStack(ctx context.Context, n *sim.Network, cfg Config) (*Stack, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Events == 0 {
		cfg.Events = DefaultEvents
	}
	drv, err := znp.New(znp.Config{Open: n.OpenZNP, Logger: log.With("module", "znp"),
		ZDOTimeout: 2 * time.Second, ConfirmTimeout: 2 * time.Second, MaxTransactions: 32})
	if err != nil {
		return nil, fmt.Errorf("hubtest: new driver: %w", err)
	}
	s := &Stack{Driver: drv}
	hcfg := hub.Config{Coordinator: drv, Logger: log.With("module", "hub"),
		CommandTimeout: 2 * time.Second, InterviewBackoff: 10 * time.Millisecond, FlushInterval: 50 * time.Millisecond}
	if cfg.DBPath != "" {
		st, err := store.Open(ctx, store.Config{Path: cfg.DBPath, Durability: store.DurableProcessCrash})
		if err != nil {
			return nil, fmt.Errorf("hubtest: open store: %w", err)
		}
		s.Store = st
		hcfg.Store = hubstore.Store{S: st}
	}
	if cfg.Tweak != nil {
		cfg.Tweak(&hcfg)
	}
	h, err := hub.New(hcfg)
	if err != nil {
		err = fmt.Errorf("hubtest: new hub: %w", err)
		if s.Store != nil {
			err = errors.Join(err, s.Store.Close(context.Background()))
		}
		return nil, err
	}
	s.Hub = h
	s.Sub = h.Subscribe(cfg.Events)
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.g = &errgroup.Group{}
	s.g.Go(func() error { return drv.Run(runCtx) })
	s.g.Go(func() error { return h.Run(runCtx) })
	if err := s.waitUp(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// waitUp waits for the hub's registry and then for the network.
func (s *Stack) waitUp(ctx context.Context) error {
	timer := time.NewTimer(Guard)
	defer timer.Stop()
	select {
	case <-s.Hub.Ready():
	case <-timer.C:
		return fmt.Errorf("hubtest: hub not ready within %v", Guard)
	case <-ctx.Done():
		return fmt.Errorf("hubtest: waiting for the hub: %w", ctx.Err())
	}
	_, err := Next(ctx, s.Sub, func(e hub.NetworkChanged) bool { return e.Up })
	return err
}

// StartStack is NewStack for a test: it fails the test on error and stops
// the stack at cleanup.
func StartStack(t testing.TB, n *sim.Network, cfg Config) *Stack {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = Logger(t)
	}
	s, err := NewStack(context.Background(), n, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Close stops the hub and the driver, waits for them and closes the
// store. Later calls do nothing and return nil.
func (s *Stack) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	var errs []error
	if err := s.g.Wait(); err != nil {
		errs = append(errs, fmt.Errorf("hubtest: stack: %w", err))
	}
	if s.Store != nil {
		if err := s.Store.Close(context.Background()); err != nil {
			errs = append(errs, fmt.Errorf("hubtest: store close: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Stop is Close with its error reported on t.
func (s *Stack) Stop(t testing.TB) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// Options configures Start.
type Options struct {
	// Devices are the emulated network's devices (none when nil).
	Devices []sim.DeviceSpec
	// Sim, if set, adjusts the network's configuration (SimConfig).
	Sim func(*sim.Config)
	// Hub, if set, adjusts the hub's configuration (Config.Tweak).
	Hub func(*hub.Config)
	// Events is the buffer of Stack.Sub (default DefaultEvents).
	Events int
}

// Env is a Stack with a store on its own emulated network.
type Env struct {
	*Stack
	Net *sim.Network
	// Dir is the test's temporary directory holding sim.json and zhub.db.
	Dir string
}

// Start starts an emulated network and a stack on it with a store, both
// in t.TempDir, and stops them at cleanup. It pairs nothing.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	dir := t.TempDir()
	scfg := SimConfig(dir, o.Devices...)
	scfg.Logger = Logger(t).With("module", "sim")
	if o.Sim != nil {
		o.Sim(&scfg)
	}
	sm := StartSim(t, scfg)
	s := StartStack(t, sm.Net, Config{DBPath: filepath.Join(dir, "zhub.db"), Events: o.Events, Tweak: o.Hub})
	return &Env{Stack: s, Net: sm.Net, Dir: dir}
}
