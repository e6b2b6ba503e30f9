package localapi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = hubtest.Guard

// spareLight is the on/off light of sim.DefaultDevices that tests pair.
var spareLight = sim.DefaultDevices()[6].IEEE

// env is a local API server on a real hub (hubtest: the ZNP driver on the
// emulated dongle, no store), with a client on its socket.
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

// startEnv serves the local API, then, unless o.noHub, starts the hub and
// attaches it once the network is up. Cleanup stops the hub, the network
// and then the server.
func startEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	dir := shortTempDir(t)
	e := &env{socket: filepath.Join(dir, "zhub.sock")}
	cfg := localapi.Config{Socket: e.socket, Version: "test", Logger: hubtest.Logger(t).With("module", "localapi")}
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("local API server: %v", err)
		}
	})
	if o.noHub {
		return e
	}

	scfg := hubtest.SimConfig(dir, o.devices...)
	scfg.Logger = hubtest.Logger(t).With("module", "sim")
	e.net = hubtest.StartSim(t, scfg).Net
	stack := hubtest.StartStack(t, e.net, hubtest.Config{})
	e.hub, e.sub = stack.Hub, stack.Sub
	srv.SetHub(stack.Hub)
	return e
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
