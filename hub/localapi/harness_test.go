package localapi_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = 30 * time.Second

// spareLight is the on/off light of sim.DefaultDevices that tests pair.
var spareLight = sim.DefaultDevices()[6].IEEE

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("LOCALAPI_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// env is a local API server on a real hub over the ZNP driver and the
// emulated dongle, with a client on its socket.
type env struct {
	net    *sim.Network
	hub    *hub.Hub
	srv    *localapi.Server
	client *localapi.Client
	socket string
	sub    *hub.Subscription // the test's own view of the hub's events
}

type envOptions struct {
	devices []sim.DeviceSpec
	noHub   bool // serve without attaching the hub ("starting")
	cfg     func(*localapi.Config)
}

// shortTempDir is a temporary directory with a path short enough for a
// unix socket (108 bytes), removed at cleanup.
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "la")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	dir := shortTempDir(t)
	e := &env{socket: filepath.Join(dir, "zhub.sock")}
	ctx, cancel := context.WithCancel(context.Background())
	g := &errgroup.Group{}
	t.Cleanup(func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stack: %v", err)
		}
	})

	cfg := localapi.Config{Socket: e.socket, Version: "test", Logger: testLogger(t).With("module", "localapi")}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	srv, err := localapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.client = &localapi.Client{Socket: e.socket}
	g.Go(func() error { return srv.Run(ctx) })
	if o.noHub {
		return e
	}

	n, err := sim.New(sim.Config{StatePath: filepath.Join(dir, "sim.json"), Devices: o.devices,
		ConfirmDelay: time.Millisecond, DeviceDelay: 2 * time.Millisecond, ResetDelay: 5 * time.Millisecond, Seed: 1,
		Logger: testLogger(t).With("module", "sim")})
	if err != nil {
		t.Fatal(err)
	}
	e.net = n
	g.Go(func() error { return n.Run(ctx) })
	drv, err := znp.New(znp.Config{Open: n.OpenZNP, Logger: testLogger(t).With("module", "znp"),
		ZDOTimeout: 2 * time.Second, ConfirmTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Coordinator: drv, Logger: testLogger(t).With("module", "hub"),
		CommandTimeout: 2 * time.Second, InterviewBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.hub = h
	e.sub = h.Subscribe(4096)
	g.Go(func() error { return drv.Run(ctx) })
	g.Go(func() error { return h.Run(ctx) })
	srv.SetHub(h)
	<-h.Ready()
	waitFor(t, e.sub, func(ev hub.NetworkChanged) bool { return ev.Up })
	return e
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

// pairLight pairs the spare light through the local API and returns the
// pair stream's events.
func (e *env) pairLight(t testing.TB) []localapi.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	st, err := e.client.Pair(ctx, localapi.PairRequest{DurationS: 60, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var evs []localapi.Event
	first, err := st.Next()
	if err != nil {
		t.Fatal(err)
	}
	evs = append(evs, first)
	if err := e.net.Press(ctx, spareLight); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := st.Next()
		if err != nil {
			t.Fatalf("pair stream: %v after %v", err, evs)
		}
		evs = append(evs, ev)
		if ev.Type == localapi.EventPairDone {
			return evs
		}
	}
}

func ieeeString(a zigbee.IEEE) string { return a.String() }

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
