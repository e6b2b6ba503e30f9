package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/auth/authstore"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/ws"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for things that must happen; it is a hang guard, not
// a timing assertion.
const guard = hubtest.Guard

// The shared test network: the real ZNP driver and hub on the emulated
// dongle (hubtest), with three paired and named devices, and real tokens
// in SQLite.
var (
	kitchenIEEE = sim.DefaultDevices()[1].IEEE // dimmable light
	lampIEEE    = sim.DefaultDevices()[0].IEEE // colour light
	sensorIEEE  = sim.DefaultDevices()[3].IEEE // temperature/humidity sensor

	env *testEnv
)

type testEnv struct {
	net    *sim.Network
	hub    *hub.Hub
	tokens *auth.Tokens
	secret string // a valid token named "tester"
}

func TestMain(m *testing.M) {
	ctx, cancel := context.WithCancel(context.Background())
	dir, err := os.MkdirTemp("", "ws-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stop, err := setupEnv(ctx, dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "ws test setup:", err)
	} else {
		code = m.Run()
	}
	cancel()
	if stop != nil {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, "ws test teardown:", err)
			code = 1
		}
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// setupEnv starts the shared network (its hub has no store); stop stops
// it and closes the token store.
func setupEnv(ctx context.Context, dir string) (stop func() error, err error) {
	var closers []func() error
	stop = func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	sm, err := hubtest.NewSim(hubtest.SimConfig(dir,
		sim.DeviceSpec{Kind: sim.KindColorLight, IEEE: lampIEEE}, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: kitchenIEEE},
		sim.DeviceSpec{Kind: sim.KindTHSensor, IEEE: sensorIEEE}))
	if err != nil {
		return stop, err
	}
	closers = append(closers, sm.Close)
	stack, err := hubtest.NewStack(ctx, sm.Net, hubtest.Config{})
	if err != nil {
		return stop, err
	}
	closers = append(closers, stack.Close)
	names := map[zigbee.IEEE]string{kitchenIEEE: "kitchen_light", lampIEEE: "living_room_lamp", sensorIEEE: "bedroom_sensor"}
	_, err = stack.Pair(ctx, sm.Net, hubtest.Pairing{Devices: []zigbee.IEEE{lampIEEE, kitchenIEEE, sensorIEEE}, Names: names})
	stack.Sub.Close() // nobody reads it after the setup
	if err != nil {
		return stop, err
	}
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(dir, "zhub.db")})
	if err != nil {
		return stop, err
	}
	closers = append(closers, func() error { return st.Close(context.Background()) })
	tokens, err := auth.New(auth.Config{Store: authstore.Store{S: st}})
	if err != nil {
		return stop, err
	}
	secret, err := tokens.Create(ctx, "tester")
	if err != nil {
		return stop, err
	}
	env = &testEnv{net: sm.Net, hub: stack.Hub, tokens: tokens, secret: secret}
	return stop, nil
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running ws.Server with a gateway on the shared hub.
type server struct {
	url  string // http://127.0.0.1:port
	gw   *ws.Gateway
	logs *logBuffer
	stop func() // cancels and waits; idempotent
}

// startServer runs a server like the daemon does; tweak adjusts the
// gateway configuration.
func startServer(t testing.TB, tweak func(*ws.GatewayConfig)) *server {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := ws.GatewayConfig{Hub: env.hub, Tokens: env.tokens, Version: "v-test", Logger: log.With("module", "ws")}
	if tweak != nil {
		tweak(&cfg)
	}
	gw, err := ws.NewGateway(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ws.New(ws.Config{Listen: "127.0.0.1:0", Version: "v-test", Health: ws.NewHealthTracker("coordinator"), Logger: log.With("module", "http")})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(gw)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() { errs <- srv.Run(ctx) })
	wg.Go(func() { errs <- gw.Run(ctx) })
	var once sync.Once
	s := &server{url: "http://" + srv.Addr().String(), gw: gw, logs: logs}
	s.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("server: %v", err)
				}
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

func (s *server) wsURL() string { return "ws" + strings.TrimPrefix(s.url, "http") + "/ws" }

// client is a test WebSocket client.
type client struct {
	t    testing.TB
	c    *websocket.Conn
	seq  int
	wmu  sync.Mutex
	back []ws.Response // read but not yet consumed by a waiter
}

func bearer(secret string) http.Header {
	return http.Header{"Authorization": {"Bearer " + secret}}
}

// dial connects with the shared token and reads the welcome.
func (s *server) dial(t testing.TB) *client {
	t.Helper()
	c := s.dialHeader(t, bearer(env.secret))
	w := c.next()
	if w.RequestID != ws.WelcomeID || w.Status != ws.StatusComplete {
		t.Fatalf("first message %+v, want the welcome", w)
	}
	return c
}

func (s *server) dialHeader(t testing.TB, h http.Header) *client {
	t.Helper()
	wc, resp, err := websocket.DefaultDialer.Dial(s.wsURL(), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	c := &client{t: t, c: wc}
	t.Cleanup(func() { _ = wc.Close() })
	return c
}

// send writes a request and returns its id.
func (c *client) send(action string, payload any) string {
	c.t.Helper()
	c.seq++
	id := fmt.Sprintf("%s-%d", action, c.seq)
	c.sendID(id, action, payload)
	return id
}

func (c *client) sendID(id, action string, payload any) {
	c.t.Helper()
	p, err := json.Marshal(payload)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(fmt.Appendf(nil, `{"action":%q,"payload":%s,"request_id":%q}`, action, p, id))
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads the next message (fatal on error).
func (c *client) next() ws.Response {
	c.t.Helper()
	r, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return r
}

func (c *client) read() (ws.Response, error) {
	if len(c.back) > 0 {
		r := c.back[0]
		c.back = c.back[1:]
		return r, nil
	}
	_ = c.c.SetReadDeadline(time.Now().Add(guard))
	_, b, err := c.c.ReadMessage()
	if err != nil {
		return ws.Response{}, err
	}
	var r ws.Response
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("server sent invalid JSON %q: %v", b, err)
	}
	return r, nil
}

// until returns every message of request id up to and including its
// terminal response; messages of other requests are kept for later.
func (c *client) until(id string) []ws.Response {
	c.t.Helper()
	var mine, other []ws.Response
	defer func() { c.back = append(other, c.back...) }()
	for {
		r := c.next()
		if r.RequestID != id {
			other = append(other, r)
			continue
		}
		mine = append(mine, r)
		if r.Status == ws.StatusComplete || r.Status == ws.StatusError {
			return mine
		}
	}
}

// nextOf returns the next message of request id.
func (c *client) nextOf(id string) ws.Response {
	c.t.Helper()
	for i, r := range c.back {
		if r.RequestID == id {
			c.back = append(c.back[:i:i], c.back[i+1:]...)
			return r
		}
	}
	var other []ws.Response
	defer func() { c.back = append(c.back, other...) }()
	for {
		r := c.next()
		if r.RequestID == id {
			return r
		}
		other = append(other, r)
	}
}

// checkSequence verifies the protocol's order for one request: processing,
// chunks, one terminal. It returns the terminal response and the chunks.
func checkSequence(t testing.TB, rs []ws.Response) (ws.Response, []ws.Chunk) {
	t.Helper()
	if len(rs) < 2 || rs[0].Status != ws.StatusProcessing {
		t.Fatalf("responses %s: want processing first", show(rs))
	}
	var chunks []ws.Chunk
	for _, r := range rs[1 : len(rs)-1] {
		if r.Status != ws.StatusChunk || r.Chunk == nil {
			t.Fatalf("responses %s: want only chunks between processing and the end", show(rs))
		}
		chunks = append(chunks, *r.Chunk)
	}
	return rs[len(rs)-1], chunks
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// code returns an error response's code.
func code(r ws.Response) string {
	if r.Chunk == nil || r.Chunk.Metadata == nil {
		return ""
	}
	s, _ := r.Chunk.Metadata["code"].(string)
	return s
}

// waitUntil polls cond until it holds; there is nothing to wait on for
// some server-side effects (a connection being dropped).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func timeNowPlusGuard() time.Time { return time.Now().Add(guard) }
