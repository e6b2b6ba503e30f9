package mcp_test

import (
	"slices"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
)

// BenchmarkSetDeviceHTTP is acceptance 4: the round trip of tools/call
// set_device over Streamable HTTP (token check, MCP, the hub, the ZNP
// driver, the emulated dongle and the virtual lamp's answer, and back),
// with p50 and p99 per call. The sim answers after 2 ms (DeviceDelay) and
// confirms after 1 ms, so those are part of every call.
func BenchmarkSetDeviceHTTP(b *testing.B) {
	e := start(b, envOptions{devices: []zigbee.IEEE{colorLight}})
	ts := e.httpServer(mcp.HTTPConfig{})
	token := e.token("bench")
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		b.Run(version, func(b *testing.B) {
			cs := e.remote(ts.URL+"/mcp", token, version, nil, nil)
			var lat []time.Duration
			i := 0
			for b.Loop() {
				i++
				t0 := time.Now()
				res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "set_device",
					Arguments: map[string]any{"device": "living_room_lamp", "values": map[string]any{"brightness": 10 + i%200}}})
				lat = append(lat, time.Since(t0))
				if err != nil || res.IsError {
					b.Fatalf("set_device: %v %+v", err, res)
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
