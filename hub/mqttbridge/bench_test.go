package mqttbridge_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// stateCounter is a lean subscriber on a hand-made MQTT session: it
// counts state messages and keeps each device's last "state" value, with
// none of a client library's per-message queues (the subscriber is not
// what is measured).
type stateCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	last map[string]bool // topic → state ON
	tick chan struct{}
}

func (s *stateCounter) run(c net.Conn) {
	r := bufio.NewReaderSize(c, 1<<16)
	for {
		h, err := r.ReadByte()
		if err != nil {
			return
		}
		n, shift := 0, 0
		for {
			x, err := r.ReadByte()
			if err != nil {
				return
			}
			n |= int(x&0x7f) << shift
			shift += 7
			if x&0x80 == 0 {
				break
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if h>>4 != 3 || len(body) < 2 { // not a PUBLISH
			continue
		}
		tl := int(body[0])<<8 | int(body[1])
		if len(body) < 2+tl {
			return
		}
		topic, payload := string(body[2:2+tl]), body[2+tl:]
		if h&0x06 != 0 { // QoS > 0: packet id
			payload = payload[2:]
		}
		on := bytes.Contains(payload, []byte(`"state":"ON"`))
		s.mu.Lock()
		s.last[topic] = on
		s.mu.Unlock()
		s.n.Add(1)
		select {
		case s.tick <- struct{}{}:
		default:
		}
	}
}

// rawSubscribe sends SUBSCRIBE (id 1, QoS 0) on a raw session.
func rawSubscribe(tb testing.TB, c net.Conn, filter string) {
	body := append([]byte{0, 1, byte(len(filter) >> 8), byte(len(filter))}, filter...)
	body = append(body, 0)
	if _, err := c.Write(append([]byte{0x82, byte(len(body))}, body...)); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkStatePublish measures attribute reports on the emulated
// network turned into state messages on the broker, with 500 devices
// reporting round robin: the emulated dongle writes the reports, the ZNP
// driver, the hub (and its SQLite store) ingest them, the bridge publishes
// each device's state, and a subscriber counts what the broker delivers.
// The clock stops when the subscriber holds every device's final state.
// msgs/s counts the messages delivered (a device's back-to-back states
// coalesce when the broker is slower than the radio); reports/s the
// reports whose outcome reached the subscriber; cpu-µs/report the CPU
// time the whole process (emulator and subscriber included, the broker
// not) spent per report, which a busy machine disturbs less than the
// rates. It also reports the heap the bridge holds for 500 devices.
func BenchmarkStatePublish(b *testing.B) {
	const n = 500
	specs := make([]sim.DeviceSpec, n)
	for i := range specs {
		specs[i] = sim.DeviceSpec{Kind: sim.KindPlug, IEEE: zigbee.IEEE(0x842e14fffe000000 + uint64(i))}
	}
	var before runtime.MemStats
	e := newEnv(b, envOpts{devices: specs,
		// The daemon's store flush interval (1 s), as in BenchmarkSetToWire:
		// a device's states within a second are one row, as in production.
		hubTweak: func(c *hub.Config) { c.MaxInterviews, c.FlushInterval = 32, hub.DefaultFlushInterval },
		simTweak: func(c *sim.Config) {
			c.StatePath = ""
			c.DeviceDelay = 200 * time.Microsecond
			c.ConfirmDelay = 100 * time.Microsecond
		},
		beforeBridge: func(*env) {
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&before)
		},
		tweak: func(c *mqttbridge.Config) { c.Logger = nil },
	})
	ctx := context.Background()
	sc := &stateCounter{last: map[string]bool{}, tick: make(chan struct{}, 1)}
	sub := rawConnect(b, e.broker.Addr, "counter")
	sub.SetReadDeadline(time.Time{})
	rawSubscribe(b, sub, "zhub/+")
	go sc.run(sub)
	waitStatus(b, e, func(s mqttbridge.Status) bool { return s.Online })
	// Every device's state reached the subscriber once (the connect burst).
	for sc.n.Load() < n {
		select {
		case <-sc.tick:
		case <-time.After(guard):
			b.Fatalf("only %d initial states", sc.n.Load())
		}
	}
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	ingest := e.hub.Subscribe(1 << 16)
	defer ingest.Close()
	var ingested atomic.Int64
	itick := make(chan struct{}, 1)
	go func() {
		for ev := range ingest.C() {
			if _, ok := ev.(hub.StateChanged); ok {
				ingested.Add(1)
				select {
				case itick <- struct{}{}:
				default:
				}
			}
		}
	}()
	waitIngested := func(want int64) {
		for ingested.Load() < want {
			select {
			case <-itick:
			case <-time.After(guard):
				b.Fatalf("only %d of %d reports ingested", ingested.Load(), want)
			}
		}
	}
	// The driver buffers 256 unread callbacks (as a real host's UART
	// buffer would overflow): keep at most window reports in flight.
	const chunk, window = 1, 200
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	msgs0 := sc.n.Load()
	sent := 0
	for i := 0; sent < b.N; i++ {
		c := min(chunk, b.N-sent)
		if err := e.net.Report(ctx, specs[i%n].IEEE, c); err != nil {
			b.Fatal(err)
		}
		sent += c
		waitIngested(int64(sent - window + chunk))
	}
	waitIngested(int64(b.N))
	// Wait until the subscriber holds every device's current state.
	want := map[string]bool{}
	for _, d := range e.hub.Devices() {
		want["zhub/"+d.FriendlyName] = d.State["state"] == "ON"
	}
	for {
		sc.mu.Lock()
		same := 0
		for topic, on := range want {
			if got, ok := sc.last[topic]; ok && got == on {
				same++
			}
		}
		sc.mu.Unlock()
		if same == len(want) {
			break
		}
		select {
		case <-sc.tick:
		case <-time.After(guard):
			b.Fatalf("subscriber has %d of %d final states", same, len(want))
		}
	}
	el := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(sc.n.Load()-msgs0)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/report")
	b.ReportMetric(float64(b.N)/el.Seconds(), "reports/s")
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "bridge-heap-MB")
	b.ReportMetric(float64(ingest.Dropped()), "events-dropped")
}

// BenchmarkSetToWire measures an MQTT /set until the AF data request
// reaches the emulated dongle (stamped by the sim when its last byte
// arrived): broker, bridge, hub, driver and serial framing. The clock
// starts when the PUBLISH is written to the broker's socket (a minimal
// MQTT client, so no client library's queues are counted); each command
// starts once the previous one has finished (Config.OnCommand), since
// commands for one device run in order.
func BenchmarkSetToWire(b *testing.B) {
	done := make(chan error, 1)
	e := newEnv(b, envOpts{trace: true, devices: []sim.DeviceSpec{{Kind: sim.KindDimmable, IEEE: dimmable}},
		simTweak: func(c *sim.Config) { c.DeviceDelay, c.ConfirmDelay = 100*time.Microsecond, 100*time.Microsecond },
		// The daemon's store flush interval, not the tests' quick one: a
		// user's /set competes with one SQLite flush a second, not twenty.
		hubTweak: func(c *hub.Config) { c.FlushInterval = hub.DefaultFlushInterval },
		tweak: func(c *mqttbridge.Config) {
			c.Logger = nil
			c.OnCommand = func(_ string, _ time.Duration, err error) { done <- err }
		}})
	dev, err := e.hub.Device("kitchen_light")
	if err != nil {
		b.Fatal(err)
	}
	waitStatus(b, e, func(s mqttbridge.Status) bool { return s.Online })
	pub := rawConnect(b, e.broker.Addr, "bench")
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		i++
		tmark := e.trace.mark()
		payload := fmt.Sprintf(`{"brightness":%d}`, 1+i%250)
		start := time.Now()
		rawPublish(b, pub, "zhub/kitchen_light/set", payload)
		r := e.trace.wait(b, tmark, func(r afRequest) bool { return r.nwk == dev.NWK && !r.global })
		lat = append(lat, r.at.Sub(start))
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
		case <-time.After(guard):
			b.Fatal("the command did not finish")
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.Logf("broker: %s", e.broker.Kind)
}

// rawConnect opens an MQTT 3.1.1 session by hand (CONNECT, CONNACK).
func rawConnect(tb testing.TB, addr, id string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	// Protocol name "MQTT", level 4, clean session, keepalive 600 s.
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0x02, 0x58, 0, byte(len(id))}, id...)
	if _, err := c.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		tb.Fatal(err)
	}
	ack := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(guard))
	if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		tb.Fatalf("connack %x: %v", ack, err)
	}
	return c
}

// rawPublish writes a QoS 0 PUBLISH (topic and payload under 128 bytes).
func rawPublish(tb testing.TB, c net.Conn, topic, payload string) {
	body := append([]byte{byte(len(topic) >> 8), byte(len(topic))}, topic...)
	body = append(body, payload...)
	if _, err := c.Write(append([]byte{0x30, byte(len(body))}, body...)); err != nil {
		tb.Fatal(err)
	}
}
