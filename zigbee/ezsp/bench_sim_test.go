package ezsp_test

import (
	"context"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// BenchmarkCommandRoundTrip measures one EZSP command (nop) through ASH to
// the emulated NCP and back, in process (no UART pacing).
func BenchmarkCommandRoundTrip(b *testing.B) {
	cfg := simConfig(b.TempDir())
	n, err := sim.NewEZSP(cfg, sim.EZSPConfig{Version: 14})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rw, err := n.OpenEZSP(ctx)
	if err != nil {
		b.Fatal(err)
	}
	l, err := ash.Connect(ctx, rw, ash.Config{})
	if err != nil {
		b.Fatal(err)
	}
	c := ezsp.NewConn(l, ezsp.ConnConfig{})
	defer c.Close()
	if _, err := c.Negotiate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, "nop", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendRoundTrip measures Driver.Send of a ZCL command to a joined
// virtual light until its messageSentHandler, against the emulated NCP.
func BenchmarkSendRoundTrip(b *testing.B) {
	dir := b.TempDir()
	n, err := sim.NewEZSP(simConfig(dir), sim.EZSPConfig{Version: 14})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	d, err := ezsp.New(driverConfig(n, dir))
	if err != nil {
		b.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(ctx) }()
	defer func() { cancel(); <-runDone }()
	var nwk zigbee.NWK
	ieee, err := n.AddDevice(ctx, sim.DeviceSpec{Kind: sim.KindLight})
	if err != nil {
		b.Fatal(err)
	}
	for ev := range d.Events() {
		switch e := ev.(type) {
		case zigbee.NetworkUp:
			if err := d.PermitJoin(ctx, 60e9, 0); err != nil {
				b.Fatal(err)
			}
			if err := n.Press(ctx, ieee); err != nil {
				b.Fatal(err)
			}
		case zigbee.DeviceAnnounced:
			nwk = e.NWK
		}
		if nwk != 0 {
			break
		}
	}
	go func() {
		for range d.Events() {
		}
	}()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := d.Send(ctx, onOff(nwk, i%2 == 0, uint8(i))); err != nil {
			b.Fatal(err)
		}
	}
}
