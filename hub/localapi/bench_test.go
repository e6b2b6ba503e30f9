package localapi_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// BenchmarkStatus is one local API round trip on the socket (the CLI's
// fixed cost beyond process start).
func BenchmarkStatus(b *testing.B) {
	e := startEnv(b, envOptions{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.client.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDevices lists one device with its definition.
func BenchmarkDevices(b *testing.B) {
	e := startEnv(b, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	e.pairLight(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.client.Devices(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSet switches the virtual light through the local API, the hub,
// the ZNP driver and the emulated dongle, and waits for the device's
// confirmation (the sim's device delay dominates).
func BenchmarkSet(b *testing.B) {
	e := startEnv(b, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	e.pairLight(b)
	ctx := context.Background()
	name := spareLight.String()
	on := false
	for b.Loop() {
		on = !on
		state := "OFF"
		if on {
			state = "ON"
		}
		if _, err := e.client.Set(ctx, name, map[string]any{"state": state}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventEncode is the per-event cost of an event stream: the
// wire conversion and the JSON line of a state change.
func BenchmarkEventEncode(b *testing.B) {
	ev := hub.StateChanged{Device: "kitchen_light", IEEE: spareLight,
		Changed: map[string]any{"brightness": 127.0},
		State:   map[string]any{"state": "ON", "brightness": 127.0, "linkquality": 144.0}, At: time.Now()}
	enc := json.NewEncoder(io.Discard)
	for b.Loop() {
		out, ok := localapi.EventFrom(ev, ev.At)
		if !ok {
			b.Fatal("no wire form")
		}
		if err := enc.Encode(out); err != nil {
			b.Fatal(err)
		}
	}
}
