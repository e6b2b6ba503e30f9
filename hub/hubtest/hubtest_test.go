package hubtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

var plug = sim.DefaultDevices()[2].IEEE

// TestStartPairStore: Start gives a hub with a store on its own network;
// Pair joins, interviews and renames; the store holds the result; Close
// stops everything once.
func TestStartPairStore(t *testing.T) {
	ctx := context.Background()
	e := hubtest.Start(t, hubtest.Options{Devices: []sim.DeviceSpec{{Kind: sim.KindPlug, IEEE: plug}}})
	defs, err := e.Pair(ctx, e.Net, hubtest.Pairing{Devices: []zigbee.IEEE{plug}, Names: map[zigbee.IEEE]string{plug: "coffee_plug"}})
	if err != nil {
		t.Fatal(err)
	}
	if defs[plug] == nil || defs[plug].Model == "" {
		t.Fatalf("definitions %+v, want the plug's", defs)
	}
	if d, err := e.Hub.Device("coffee_plug"); err != nil || d.IEEE != plug || d.Interview.State != hub.InterviewSuccessful {
		t.Fatalf("device coffee_plug: %+v, %v", d, err)
	}
	if err := e.Hub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	devs, err := e.Store.Devices(ctx)
	if err != nil || len(devs) != 1 || devs[0].FriendlyName != "coffee_plug" || devs[0].IEEE != plug.String() {
		t.Fatalf("stored devices %+v, %v", devs, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNextEnds: Next gives up, with an error naming what it waited for,
// when its subscription closes or its context ends.
func TestNextEnds(t *testing.T) {
	s := hubtest.StartStack(t, hubtest.StartSim(t, hubtest.SimConfig(t.TempDir())).Net, hubtest.Config{})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		close bool
		want  string
		is    error
	}{
		{name: "subscription closed", ctx: context.Background(), close: true, want: "subscription closed while waiting for hub.DeviceRenamed"},
		{name: "context cancelled", ctx: cancelled, want: "waiting for hub.DeviceRenamed", is: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := s.Hub.Subscribe(16)
			defer sub.Close()
			if tc.close {
				sub.Close()
			}
			_, err := hubtest.Next(tc.ctx, sub, func(hub.DeviceRenamed) bool { return true })
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("Next: %v, want an error with %q (is %v)", err, tc.want, tc.is)
			}
		})
	}
}
