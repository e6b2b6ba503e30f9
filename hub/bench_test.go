package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// BenchmarkReportIngest measures attribute reports ingested per second
// through the whole path: the emulated dongle writes AF_INCOMING_MSG
// frames (sim.Report, back to back), the ZNP driver parses them, the hub
// decodes the ZCL, updates the state cache, publishes StateChanged to a
// subscriber that reads every event, and the persister writes state and
// history to SQLite. The clock stops when the subscriber has seen every
// report and the store has committed.
func BenchmarkReportIngest(b *testing.B) {
	dir := b.TempDir()
	cfg := hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug})
	cfg.StatePath = "" // the emulator's own state file is not what is measured
	sr := hubtest.StartSim(b, cfg)
	s := hubtest.StartStack(b, sr.Net, hubtest.Config{DBPath: filepath.Join(dir, "zhub.db")})
	hubtest.Pair(b, s, sr.Net, plug)
	ctx := context.Background()
	consumer := s.Hub.Subscribe(1 << 16)
	defer consumer.Close()
	var count atomic.Int64
	tick := make(chan struct{}, 1)
	go func() {
		for ev := range consumer.C() {
			if e, ok := ev.(hub.StateChanged); ok && e.IEEE == plug && e.Changed["state"] != nil {
				count.Add(1)
				select {
				case tick <- struct{}{}:
				default:
				}
			}
		}
	}()
	// Unpaced, the emulated line delivers a burst at once; the driver
	// buffers 256 unread callbacks and 256 events and drops beyond that
	// (as a real host would overflow), so keep at most window reports in
	// flight: every report arrives and the pipeline never runs dry.
	const chunk, window = 50, 200
	waitUntil := func(want int) {
		for int(count.Load()) < want {
			select {
			case <-tick:
			case <-time.After(guard):
				b.Fatalf("only %d of %d reports arrived (subscriber dropped %d, driver %+v, hub %+v)", count.Load(), want, consumer.Dropped(), s.Driver.Stats(), s.Hub.Status())
			}
		}
	}
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		c := min(chunk, b.N-sent)
		if err := sr.Net.Report(ctx, plug, c); err != nil {
			b.Fatal(err)
		}
		sent += c
		waitUntil(sent - window + chunk)
	}
	waitUntil(b.N)
	if err := s.Hub.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "reports/s")
	st := s.Hub.Status()
	b.ReportMetric(float64(st.HistoryDropped), "history-dropped")
	b.ReportMetric(float64(consumer.Dropped()), "events-dropped")
}

// traceTimes is a sim trace writer that reports when each AF data request
// (AF_DATA_REQUEST 24 01, AF_DATA_REQUEST_EXT 24 02) reached the dongle:
// the trace stamps a host frame when its last byte arrived.
type traceTimes struct {
	mu  sync.Mutex
	buf []byte
	ch  chan time.Time
}

func (w *traceTimes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != ">" || len(f[2]) < 8 || (f[2][4:8] != "2401" && f[2][4:8] != "2402") {
			continue
		}
		us, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		select {
		case w.ch <- time.UnixMicro(us):
		default:
		}
	}
}

// BenchmarkSetLatency measures the command latency from calling Set to the
// AF data request arriving on the (in-process) serial line, p50 and p99.
func BenchmarkSetLatency(b *testing.B) {
	dir := b.TempDir()
	tt := &traceTimes{ch: make(chan time.Time, 16)}
	cfg := hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable})
	cfg.ConfirmDelay, cfg.DeviceDelay = 100*time.Microsecond, 100*time.Microsecond
	cfg.Trace = tt
	sr := hubtest.StartSim(b, cfg)
	s := hubtest.StartStack(b, sr.Net, hubtest.Config{DBPath: filepath.Join(dir, "zhub.db")})
	hubtest.Pair(b, s, sr.Net, dimmable)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		for len(tt.ch) > 0 {
			<-tt.ch
		}
		i++
		start := time.Now()
		if _, err := s.Hub.Set(ctx, dimmable.String(), map[string]any{"brightness": 100 + i%100}); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-tt.ch:
			lat = append(lat, at.Sub(start))
		case <-time.After(guard):
			b.Fatal("no AF data request traced")
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// idleCoordinator is a hand-written stand-in for a coordinator whose
// network is up and quiet, for measuring the hub's own memory.
type idleCoordinator struct{ events chan zigbee.Event }

func (c idleCoordinator) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (c idleCoordinator) Events() <-chan zigbee.Event   { return c.events }
func (c idleCoordinator) Info() (zigbee.NetworkInfo, bool) {
	return zigbee.NetworkInfo{Channel: 11, PANID: 0x1a62}, true
}
func (c idleCoordinator) PermitJoin(context.Context, time.Duration, zigbee.NWK) error { return nil }
func (c idleCoordinator) Send(context.Context, zigbee.APSFrame) error                 { return nil }
func (c idleCoordinator) ZDORequest(context.Context, zigbee.NWK, zigbee.ClusterID, []byte) ([]byte, error) {
	return nil, zigbee.ErrTimeout
}
func (c idleCoordinator) Backup(context.Context) (*zigbee.Backup, error) {
	return nil, zigbee.ErrUnsupported
}
func (c idleCoordinator) Restore(context.Context, *zigbee.Backup) error { return zigbee.ErrUnsupported }

// memStore serves a fixed set of devices and discards writes.
type memStore struct{ devs []hub.StoredDevice }

func (m memStore) LoadDevices(context.Context) ([]hub.StoredDevice, error) { return m.devs, nil }
func (memStore) SaveDevices(context.Context, []hub.StoredDevice) error     { return nil }
func (memStore) DeleteDevice(context.Context, zigbee.IEEE) error           { return nil }
func (memStore) SaveStates(context.Context, []hub.StoredState) error       { return nil }
func (memStore) AppendHistory(context.Context, []hub.HistoryPoint) error   { return nil }
func (memStore) History(context.Context, zigbee.IEEE, string, time.Time, time.Time, int) ([]hub.HistoryPoint, error) {
	return nil, nil
}

// BenchmarkMemoryPerDevice loads 500 interviewed colour lights with state
// (their stored form taken from a real interview on the sim) and reports
// the heap the hub holds per device; the loop measures a lookup.
func BenchmarkMemoryPerDevice(b *testing.B) {
	const n = 500
	dir := b.TempDir()
	sr := hubtest.StartSim(b, hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindColorLight, IEEE: colorLight}))
	var captured hub.StoredDevice
	var state json.RawMessage
	{
		st := &captureStore{}
		s := hubtest.StartStack(b, sr.Net, hubtest.Config{Tweak: func(c *hub.Config) { c.Store = st }})
		hubtest.Pair(b, s, sr.Net, colorLight)
		if err := s.Hub.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		s.Stop(b)
		captured, state = st.last()
	}
	devs := make([]hub.StoredDevice, n)
	for i := range devs {
		d := captured
		d.IEEE = zigbee.IEEE(0x0017880100000000 + uint64(i))
		d.NWK = zigbee.NWK(0x1000 + i)
		d.FriendlyName = fmt.Sprintf("light_%03d", i)
		d.Data = append(json.RawMessage(nil), captured.Data...)
		d.State = append(json.RawMessage(nil), state...)
		d.StateAt = time.Now()
		devs[i] = d
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := hub.New(hub.Config{Coordinator: idleCoordinator{make(chan zigbee.Event)}, Store: memStore{devs}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	<-h.Ready()
	devs = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := len(h.Devices()); got != n {
		b.Fatalf("%d devices loaded", got)
	}
	for b.Loop() {
		if _, err := h.Device("light_250"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/device")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	runtime.KeepAlive(h)
}

// captureStore keeps the last saved record and state of each device.
type captureStore struct {
	memStore
	mu    sync.Mutex
	dev   hub.StoredDevice
	state json.RawMessage
}

func (c *captureStore) SaveDevices(_ context.Context, ds []hub.StoredDevice) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dev = ds[len(ds)-1]
	return nil
}

func (c *captureStore) SaveStates(_ context.Context, ss []hub.StoredState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = ss[len(ss)-1].State
	return nil
}

func (c *captureStore) last() (hub.StoredDevice, json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dev, c.state
}

var _ io.Writer = (*traceTimes)(nil)
