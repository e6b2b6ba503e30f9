package mqttbridge_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for things that must happen (a hang guard, not a
// timing assertion).
const guard = hubtest.Guard

// Addresses of sim.DefaultDevices.
var (
	dimmable = sim.DefaultDevices()[1].IEEE
	plug     = sim.DefaultDevices()[2].IEEE
	thSensor = sim.DefaultDevices()[3].IEEE
	contact  = sim.DefaultDevices()[4].IEEE
	remote   = sim.DefaultDevices()[5].IEEE
)

// env is the real stack (hubtest: the emulated dongle, the ZNP driver, a
// SQLite store, the hub), a broker (mosquitto or embedded) and the bridge.
type env struct {
	t      testing.TB
	net    *sim.Network
	hub    *hub.Hub
	broker *mqtttest.Broker
	bridge *mqttbridge.Bridge
	status chan mqttbridge.Status
	trace  *afTrace
	stopBr context.CancelFunc
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
	e := &env{t: t, status: make(chan mqttbridge.Status, 64)}
	if o.trace {
		e.trace = newAFTrace()
	}
	stack := hubtest.Start(t, hubtest.Options{Devices: o.devices, Hub: o.hubTweak, Events: 1 << 16,
		Sim: func(c *sim.Config) {
			if e.trace != nil {
				c.Trace = e.trace
			}
			if o.simTweak != nil {
				o.simTweak(c)
			}
		}})
	e.net, e.hub = stack.Net, stack.Hub
	t.Cleanup(e.stopBridge)
	if !o.noPair {
		p := hubtest.Pairing{Names: map[zigbee.IEEE]string{dimmable: "kitchen_light"}, Retry: true}
		for _, d := range o.devices {
			p.Devices = append(p.Devices, d.IEEE)
		}
		if _, err := stack.Pair(context.Background(), e.net, p); err != nil {
			t.Fatal(err)
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
		Logger: hubtest.Logger(e.t).With("module", "mqtt"),
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

// afRequest is an AF data request the host wrote to the dongle.
type afRequest struct {
	at      time.Time // when its last byte reached the dongle
	nwk     zigbee.NWK
	cluster zigbee.ClusterID
	zclCmd  byte
	global  bool // a ZCL foundation command (read, write, ...)
	// groupcast: an AF_DATA_REQUEST_EXT to group (a Zigbee group).
	groupcast bool
	group     uint16
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
	// FE len 24 02 mode addr(8) dstEP pan(2) srcEP cluster(2) trans opts radius len(2) data...
	if err != nil || len(b) < 17 || b[0] != 0xFE || b[2] != 0x24 || (b[3] != 0x01 && b[3] != 0x02) {
		return afRequest{}, false
	}
	us, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return afRequest{}, false
	}
	p := b[4:]
	var data []byte
	var r afRequest
	if b[3] == 0x02 {
		if len(p) < 20 {
			return afRequest{}, false
		}
		r = afRequest{at: time.UnixMicro(us), cluster: zigbee.ClusterID(binary.LittleEndian.Uint16(p[13:])),
			groupcast: p[0] == 1, group: binary.LittleEndian.Uint16(p[1:])}
		if p[0] == 2 {
			r.nwk = zigbee.NWK(binary.LittleEndian.Uint16(p[1:]))
		}
		data = p[20:]
	} else {
		data = p[10:]
		r = afRequest{at: time.UnixMicro(us), nwk: zigbee.NWK(binary.LittleEndian.Uint16(p[0:])),
			cluster: zigbee.ClusterID(binary.LittleEndian.Uint16(p[4:]))}
	}
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

// at returns the i-th request recorded.
func (a *afTrace) at(i int) afRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs[i]
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
