package mcp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/mcp/mcpstore"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = hubtest.Guard

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

// env is the MCP device context on a real hub (hubtest: the ZNP driver,
// the emulated dongle and a SQLite store), with the devices paired and
// named.
type env struct {
	t      testing.TB
	net    *sim.Network
	hub    *hub.Hub
	st     *store.Store
	tokens *auth.Tokens
	srv    *mcp.Server
	ctx    context.Context
}

type envOptions struct {
	guarded []string
	devices []zigbee.IEEE // default: all five
}

func start(t testing.TB, o envOptions) *env {
	t.Helper()
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
	stack := hubtest.Start(t, hubtest.Options{Devices: specs})
	if _, err := stack.Pair(context.Background(), stack.Net, hubtest.Pairing{Devices: devs, Names: names}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, net: stack.Net, hub: stack.Hub, st: stack.Store, ctx: ctx}
	g := &errgroup.Group{}
	t.Cleanup(func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("mcp server: %v", err)
		}
	})
	tokens, err := auth.New(auth.Config{Store: authstore.Store{S: e.st}})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = tokens
	srv, err := mcp.New(mcp.Config{Hub: e.hub, Contexts: mcpstore.Store{S: e.st}, GuardedTools: o.guarded, Version: "test",
		Logger: hubtest.Logger(t).With("module", "mcp"), Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	g.Go(func() error { return srv.Run(ctx) })
	return e
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
