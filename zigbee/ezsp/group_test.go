package ezsp_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
)

// TestGroupcast: a light added to a group (ZCL Add Group, unicast) switches
// with one frame sent to the group address through the EZSP multicast
// path, and a light outside the group does not.
func TestGroupcast(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			dir := t.TempDir()
			n := startSim(t, simConfig(dir), v)
			h := startDriver(t, driverConfig(n, dir))
			up(h, 0)
			member, memberNWK := joinLight(t, n, h)
			_, otherNWK := joinLight(t, n, h)

			// ZCL Groups: Add Group 0x0005 (cluster-specific, cmd 0x00, name "").
			from := h.mark()
			if err := h.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(memberNWK), DstEndpoint: 1, Profile: zigbee.ProfileHA,
				Cluster: 0x0004, Options: zigbee.TxAckRequest, Payload: []byte{0x01, 20, 0x00, 0x05, 0x00, 0x00}}); err != nil {
				t.Fatalf("add group: %v", err)
			}
			rsp, _ := waitEvent(h, from, func(e zigbee.MessageReceived) bool {
				p := e.Message.Payload
				return e.Message.Src == memberNWK && e.Message.Cluster == 0x0004 && len(p) >= 6 && p[1] == 20 && p[2] == 0x00
			})
			if p := rsp.Message.Payload; p[3] != 0x00 || p[4] != 0x05 || p[5] != 0x00 {
				t.Fatalf("Add Group Response % X, want status SUCCESS for group 0x0005", p)
			}
			dev, err := n.Device(t.Context(), member)
			if err != nil || !slices.Contains(dev.Groups[1], 5) {
				t.Fatalf("emulated member holds groups %v (%v), want 5 on endpoint 1", dev.Groups, err)
			}

			// One On command to the group.
			if err := h.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Groupcast(5), SrcEndpoint: 1, Profile: zigbee.ProfileHA,
				Cluster: 6, Payload: []byte{0x01, 21, 0x01}}); err != nil {
				t.Fatalf("groupcast: %v", err)
			}
			if !lightIsOn(t, h, memberNWK, 22) {
				t.Error("the group member did not switch on")
			}
			if lightIsOn(t, h, otherNWK, 23) {
				t.Error("a light outside the group switched on")
			}
		})
	}
}
