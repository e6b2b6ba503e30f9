package ws_test

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/zhubhq/zhub/ws"
)

// BenchmarkFanOut holds (besides a one-connection baseline) 1,000 WebSocket connections on loopback, each
// subscribed to kitchen_light's state, and measures the latency from a
// device report (the virtual light sends an On/Off attribute report through
// the emulated dongle, the ZNP driver and the hub) to its delivery on every
// socket: p50 and p99 over all deliveries. It also reports the memory per
// connection (heap and stacks of both ends, which share this process) and
// the goroutines per connection.
//
//	go test -run '^$' -bench FanOut -benchtime 50x ./ws/
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

func benchFanOut(b *testing.B, conns int) {
	s := startServer(b, func(c *ws.GatewayConfig) { c.MaxConnections = conns + 10 })
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()

	got := make(chan time.Time, conns)
	var wg sync.WaitGroup
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		c := s.dial(b)
		id := c.send("subscribe", map[string]any{"events": []string{"state"}, "devices": []string{"kitchen_light"}})
		if r := c.nextOf(id); r.Status != ws.StatusProcessing {
			b.Fatalf("subscribe: %+v", r)
		}
		clients[i] = c.c
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	perConn := float64(int64(m1.HeapInuse+m1.StackInuse)-int64(m0.HeapInuse+m0.StackInuse)) / float64(conns)

	for _, wc := range clients {
		wg.Go(func() {
			for {
				_, data, err := wc.ReadMessage()
				if err != nil {
					return
				}
				// A substring test rather than a JSON decode keeps the
				// clients' own work (same process, same 2 cores) small.
				if bytes.Contains(data, []byte(`"status":"chunk"`)) {
					got <- time.Now()
				}
			}
		})
	}
	lat := make([]time.Duration, 0, b.N*conns)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if err := env.net.Report(b.Context(), kitchenIEEE, 1); err != nil {
			b.Fatal(err)
		}
		timeout := time.After(guard)
		for range conns {
			select {
			case at := <-got:
				lat = append(lat, at.Sub(t0))
			case <-timeout:
				b.Fatalf("a report was not delivered to every socket")
			}
		}
	}
	b.StopTimer()
	for _, wc := range clients {
		_ = wc.Close()
	}
	wg.Wait()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(perConn/1024, "KiB/conn")
	b.ReportMetric(float64(g1-g0)/float64(conns), "goroutines/conn")
	if d := s.gw.SlowClients(); d != 0 {
		b.Errorf("%d clients dropped as slow", d)
	}
}
