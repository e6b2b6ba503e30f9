package mqttbridge_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// guard bounds waits for things that must happen (a hang guard, not a
// timing assertion).
const guard = 30 * time.Second

// Addresses of sim.DefaultDevices.
var (
	dimmable = sim.DefaultDevices()[1].IEEE
	plug     = sim.DefaultDevices()[2].IEEE
	thSensor = sim.DefaultDevices()[3].IEEE
	contact  = sim.DefaultDevices()[4].IEEE
	remote   = sim.DefaultDevices()[5].IEEE
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("MQTT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// env is the real stack: the emulated dongle, the ZNP driver, a SQLite
// store, the hub, a broker (mosquitto or embedded) and the bridge.
type env struct {
	t      testing.TB
	net    *sim.Network
	drv    *znp.Driver
	hub    *hub.Hub
	st     *store.Store
	sub    *hub.Subscription
	broker *mqtttest.Broker
	bridge *mqttbridge.Bridge
	status chan mqttbridge.Status
	trace  *afTrace
	stopHW context.CancelFunc
	stopBr context.CancelFunc
	hw     *errgroup.Group
	brDone chan error
}

type envOpts struct {
	trace   bool // record the host's AF data requests (e.trace)
	devices []sim.DeviceSpec
	tweak   func(*mqttbridge.Config)
	noPair  bool
	// beforeBridge runs once the broker is up, before the bridge starts.
	beforeBridge func(e *env)
	simTweak     func(*sim.Config)
	hubTweak     func(*hub.Config)
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.devices == nil {
		o.devices = sim.DefaultDevices()
	}
	dir := t.TempDir()
	e := &env{t: t, status: make(chan mqttbridge.Status, 64)}
	scfg := sim.Config{StatePath: filepath.Join(dir, "sim.json"), Devices: o.devices,
		ConfirmDelay: time.Millisecond, DeviceDelay: 2 * time.Millisecond, ResetDelay: 5 * time.Millisecond, Seed: 1}
	if o.trace {
		e.trace = newAFTrace()
		scfg.Trace = e.trace
	}
	if o.simTweak != nil {
		o.simTweak(&scfg)
	}
	n, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	e.net = n
	ctx, cancel := context.WithCancel(context.Background())
	e.stopHW = cancel
	e.hw = &errgroup.Group{}
	e.hw.Go(func() error { return n.Run(ctx) })
	drv, err := znp.New(znp.Config{Open: n.OpenZNP, Logger: testLogger(t).With("module", "znp"),
		ZDOTimeout: 2 * time.Second, ConfirmTimeout: 2 * time.Second, MaxTransactions: 32})
	if err != nil {
		t.Fatal(err)
	}
	e.drv = drv
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(dir, "zhub.db"), Durability: store.DurableProcessCrash})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	hcfg := hub.Config{Coordinator: drv, Store: storeAdapter{st}, Logger: testLogger(t).With("module", "hub"),
		CommandTimeout: 2 * time.Second, InterviewBackoff: 10 * time.Millisecond, FlushInterval: 50 * time.Millisecond}
	if o.hubTweak != nil {
		o.hubTweak(&hcfg)
	}
	h, err := hub.New(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	e.hub = h
	e.sub = h.Subscribe(1 << 16)
	e.hw.Go(func() error { return drv.Run(ctx) })
	e.hw.Go(func() error { return h.Run(ctx) })
	t.Cleanup(e.stop)
	<-h.Ready()
	waitEvent(t, e.sub, func(ev hub.NetworkChanged) bool { return ev.Up })
	if !o.noPair {
		e.pair(o.devices)
		if _, err := h.Device(dimmable.String()); err == nil {
			if err := h.Rename(ctx, dimmable.String(), "kitchen_light"); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.broker = mqtttest.Start(t)
	if o.beforeBridge != nil {
		o.beforeBridge(e)
	}
	e.startBridge(o.tweak)
	return e
}

func (e *env) startBridge(tweak func(*mqttbridge.Config)) {
	e.t.Helper()
	cfg := mqttbridge.Config{
		Hub: e.hub, URL: e.broker.URL(), BaseTopic: "zhub", Retain: true,
		HADiscovery: true, HABirthDelay: 10 * time.Millisecond, HARenameDelay: 10 * time.Millisecond,
		MaxReconnect: 100 * time.Millisecond, Version: "test",
		Logger: testLogger(e.t).With("module", "mqtt"),
		OnStatus: func(s mqttbridge.Status) {
			select {
			case e.status <- s:
			default:
			}
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	br, err := mqttbridge.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.bridge = br
	ctx, cancel := context.WithCancel(context.Background())
	e.stopBr = cancel
	e.brDone = make(chan error, 1)
	go func() { e.brDone <- br.Run(ctx) }()
}

// stopBridge stops the bridge and waits for Run to return.
func (e *env) stopBridge() {
	if e.stopBr == nil {
		return
	}
	e.stopBr()
	e.stopBr = nil
	if err := <-e.brDone; err != nil {
		e.t.Errorf("bridge Run: %v", err)
	}
}

func (e *env) stop() {
	e.stopBridge()
	if e.stopHW == nil {
		return
	}
	e.stopHW()
	e.stopHW = nil
	if err := e.hw.Wait(); err != nil {
		e.t.Errorf("stack: %v", err)
	}
	if err := e.st.Close(context.Background()); err != nil {
		e.t.Errorf("store close: %v", err)
	}
}

// waitEvent returns the next event of type T that ok accepts.
func waitEvent[T hub.Event](t testing.TB, sub *hub.Subscription, ok func(T) bool) T {
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

// pair joins and interviews the devices.
func (e *env) pair(specs []sim.DeviceSpec) {
	e.t.Helper()
	ctx := context.Background()
	want := map[zigbee.IEEE]bool{}
	for _, s := range specs {
		if err := e.net.Press(ctx, s.IEEE); err != nil {
			e.t.Fatal(err)
		}
		want[s.IEEE] = true
	}
	if err := e.hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		e.t.Fatal(err)
	}
	for len(want) > 0 {
		ev := waitEvent(e.t, e.sub, func(ev hub.InterviewProgress) bool {
			return ev.Interview.State == hub.InterviewSuccessful || ev.Interview.State == hub.InterviewFailed
		})
		if ev.Interview.State == hub.InterviewFailed {
			// Retry once: a sleepy device may miss a step.
			if err := e.hub.Interview(ctx, ev.IEEE.String()); err != nil {
				e.t.Fatalf("interview of %v failed: %v", ev.IEEE, err)
			}
		}
		delete(want, ev.IEEE)
	}
	if err := e.hub.PermitJoin(ctx, 0, ""); err != nil {
		e.t.Fatal(err)
	}
}

// client connects a recording client subscribed to everything.
func (e *env) client(id string, filters ...string) *mqtttest.Client {
	e.t.Helper()
	c := mqtttest.Connect(e.t, e.broker.URL(), id)
	for _, f := range filters {
		c.Subscribe(f)
	}
	return c
}

// waitOnline waits for a retained bridge/state online.
func waitOnline(t testing.TB, c *mqtttest.Client, mark int) {
	t.Helper()
	c.WaitAfter(mark, "zhub/bridge/state", func(m mqtttest.Message) bool { return string(m.Payload) == `{"state":"online"}` })
}

// decode parses a JSON object payload.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload %q: %v", b, err)
	}
	return m
}

// storeAdapter adapts the SQLite store to hub.Store, as cmd/zhub does.
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

// SaveDevices and SaveStates queue their writes in parallel: the store
// commits what is queued in one transaction.
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

// afRequest is an AF data request the host wrote to the dongle.
type afRequest struct {
	at      time.Time // when its last byte reached the dongle
	nwk     zigbee.NWK
	cluster zigbee.ClusterID
	zclCmd  byte
	global  bool // a ZCL foundation command (read, write, ...)
}

// afTrace parses the sim's trace (one line per frame) and keeps the
// host's AF_DATA_REQUESTs (MT AF 0x24 0x01; protocol/znp.md).
type afTrace struct {
	mu     sync.Mutex
	reqs   []afRequest
	notify chan struct{}
	part   []byte
}

func newAFTrace() *afTrace { return &afTrace{notify: make(chan struct{})} }

func (a *afTrace) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.part = append(a.part, p...)
	for {
		i := bytes.IndexByte(a.part, '\n')
		if i < 0 {
			break
		}
		line := string(a.part[:i])
		a.part = a.part[i+1:]
		if r, ok := parseAFLine(line); ok {
			a.reqs = append(a.reqs, r)
			close(a.notify)
			a.notify = make(chan struct{})
		}
	}
	return len(p), nil
}

func parseAFLine(line string) (afRequest, bool) {
	f := strings.Fields(line)
	if len(f) != 3 || f[1] != ">" {
		return afRequest{}, false
	}
	b, err := hex.DecodeString(f[2])
	// FE len 24 01 dst(2) dstEP srcEP cluster(2) trans opts radius len data...
	if err != nil || len(b) < 17 || b[0] != 0xFE || b[2] != 0x24 || b[3] != 0x01 {
		return afRequest{}, false
	}
	us, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return afRequest{}, false
	}
	p := b[4:]
	data := p[10:]
	r := afRequest{at: time.UnixMicro(us), nwk: zigbee.NWK(binary.LittleEndian.Uint16(p[0:])),
		cluster: zigbee.ClusterID(binary.LittleEndian.Uint16(p[4:]))}
	if len(data) < 3 {
		return afRequest{}, false
	}
	fc := data[0]
	i := 1
	if fc&0x04 != 0 { // manufacturer specific
		i += 2
	}
	if len(data) < i+2 {
		return afRequest{}, false
	}
	r.zclCmd = data[i+1]
	r.global = fc&0x03 == 0
	return r, true
}

func (a *afTrace) mark() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

// wait returns the first request after mark that ok accepts.
func (a *afTrace) wait(t testing.TB, mark int, ok func(afRequest) bool) afRequest {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for i := mark; ; {
		a.mu.Lock()
		for ; i < len(a.reqs); i++ {
			if ok(a.reqs[i]) {
				r := a.reqs[i]
				a.mu.Unlock()
				return r
			}
		}
		ch := a.notify
		a.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("no matching AF data request within %v", guard)
		}
	}
}
