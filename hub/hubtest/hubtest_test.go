package hubtest_test

import (
	"context"
	"encoding/hex"
	"errors"
	"reflect"
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

// znpFrame renders a ZNP frame (SOF, length, command, payload, FCS) as
// the emulated dongle traces it.
func znpFrame(cmd0, cmd1 byte, payload ...byte) string {
	b := append([]byte{0xFE, byte(len(payload)), cmd0, cmd1}, payload...)
	fcs := byte(0)
	for _, c := range b[1:] {
		fcs ^= c
	}
	return strings.ToUpper(hex.EncodeToString(append(b, fcs)))
}

// TestAFTrace: AF data requests are decoded from trace lines, however the
// writes split them; other frames and directions are ignored.
func TestAFTrace(t *testing.T) {
	zclOn := []byte{0x11, 0x05, 0x01}
	unicast := append([]byte{0x34, 0x12, 1, 1, 0x06, 0x00, 7, 0, 30, byte(len(zclOn))}, zclOn...)
	group := append([]byte{0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 1, 0x08, 0x00, 8, 0, 30, byte(len(zclOn)), 0}, zclOn...)
	badLen := append([]byte{0x34, 0x12, 1, 1, 0x06, 0x00, 7, 0, 30, 9}, zclOn...)
	trace := "1 > " + znpFrame(0x24, 0x01, unicast...) + "\n" +
		"2 < " + znpFrame(0x24, 0x01, unicast...) + "\n" + // dongle to host
		"3 > " + znpFrame(0x21, 0x01) + "\n" + // SYS_PING
		"4 # garbage 0102\n" +
		"5 > " + znpFrame(0x24, 0x01, badLen...) + "\n" +
		"6 > " + znpFrame(0x24, 0x02, group...) + "\n"
	var a hubtest.AFTrace
	for i := 0; i < len(trace); i += 7 { // writes that split lines
		if _, err := a.Write([]byte(trace[i:min(i+7, len(trace))])); err != nil {
			t.Fatal(err)
		}
	}
	want := []hubtest.AFRequest{
		{Mode: zigbee.AddrNWK, Dst: 0x1234, Cluster: 0x0006, ZCL: zclOn},
		{Mode: zigbee.AddrGroup, Dst: 1, Cluster: 0x0008, ZCL: zclOn},
	}
	if got := a.Take(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests %+v, want %+v", got, want)
	}
	if got := a.Take(); got != nil {
		t.Errorf("second Take: %+v", got)
	}
	if !want[1].Group() || want[0].Group() {
		t.Error("Group() wrong")
	}
}
