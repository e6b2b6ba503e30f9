package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
)

// ezspGuard bounds waits for frames that must come; a hang guard, not a
// timing assertion.
const ezspGuard = 10 * time.Second

func ezspTestConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		StatePath:    filepath.Join(t.TempDir(), "state.json"),
		ConfirmDelay: time.Millisecond,
		DeviceDelay:  2 * time.Millisecond,
		ResetDelay:   5 * time.Millisecond,
		Seed:         7,
	}
}

func startEZSP(t *testing.T, cfg Config, version uint8) *Network {
	t.Helper()
	n, err := NewEZSP(cfg, EZSPConfig{Version: version})
	if err != nil {
		t.Fatalf("NewEZSP: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return n
}

// ezspHost is an EZSP host built from the driver's link and conn layers,
// driven command by command like a third-party host would.
type ezspHost struct {
	t *testing.T
	c *ezsp.Conn
}

func dialEZSP(t *testing.T, n *Network) *ezspHost {
	t.Helper()
	rw, err := n.OpenEZSP(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l, err := ash.Connect(t.Context(), rw, ash.Config{ResetTimeout: ezspGuard})
	if err != nil {
		t.Fatalf("ash connect: %v", err)
	}
	c := ezsp.NewConn(l, ezsp.ConnConfig{Timeout: ezspGuard})
	t.Cleanup(func() { c.Close() })
	return &ezspHost{t: t, c: c}
}

func (h *ezspHost) call(name string, p ezsp.Params) ezsp.Params {
	h.t.Helper()
	rsp, err := h.c.Call(h.t.Context(), name, p)
	if err != nil {
		h.t.Fatalf("%s: %v", name, err)
	}
	return rsp
}

// ok calls a command whose status must be success.
func (h *ezspHost) ok(name string, p ezsp.Params) ezsp.Params {
	h.t.Helper()
	rsp := h.call(name, p)
	if s, has := rsp["status"]; has && s != uint32(0) {
		h.t.Fatalf("%s: status 0x%X", name, s)
	}
	return rsp
}

// waitCallback returns the next callback named name, skipping others.
func (h *ezspHost) waitCallback(name string, match func(ezsp.Params) bool) ezsp.Params {
	h.t.Helper()
	t := time.NewTimer(ezspGuard)
	defer t.Stop()
	for {
		select {
		case cb, ok := <-h.c.Callbacks():
			if !ok {
				h.t.Fatalf("link ended waiting for %s: %v", name, h.c.Err())
			}
			if cb.Command.Name == name && (match == nil || match(cb.Params)) {
				return cb.Params
			}
		case <-t.C:
			h.t.Fatalf("no %s callback", name)
		}
	}
}

var testNetworkKey = []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xF0, 0x01}

// herdsmanStart runs zigbee-herdsman's start-up order (ezsp.md §9.1) and
// forms a network when none is stored. It returns whether it formed.
func (h *ezspHost) herdsmanStart(version uint8) bool {
	h.t.Helper()
	vi, err := h.c.Negotiate(h.t.Context())
	if err != nil {
		h.t.Fatalf("negotiate: %v", err)
	}
	if vi.Protocol != version {
		h.t.Fatalf("NCP speaks v%d, want v%d", vi.Protocol, version)
	}
	info := h.ok("getValue", ezsp.Params{"valueId": uint8(0x11)})
	if len(info.Bytes("value")) != 7 {
		h.t.Fatalf("VERSION_INFO % X", info.Bytes("value"))
	}
	for _, c := range [][2]uint16{{0x19, 2}, {0x12, 7680}, {0x10, 30}, {0x2D, 1}} {
		h.ok("setConfigurationValue", ezsp.Params{"configId": uint8(c[0]), "value": c[1]})
	}
	h.ok("setPolicy", ezsp.Params{"policyId": uint8(1), "decisionId": uint8(0x12)})
	h.ok("setPolicy", ezsp.Params{"policyId": uint8(4), "decisionId": uint8(0x40)})
	h.ok("setValue", ezsp.Params{"valueId": uint8(0x43), "value": []byte{0x10, 0x27}})
	h.ok("setManufacturerCode", ezsp.Params{"code": uint16(0x1049)})
	for _, ep := range []struct {
		ep      uint8
		profile uint16
		in      []uint16
	}{{1, 0x0104, []uint16{0x0000, 0x0006}}, {242, 0xA1E0, []uint16{0x0021}}} {
		rsp := h.call("getExtendedValue", ezsp.Params{"valueId": uint8(0), "characteristics": uint32(ep.ep)})
		if rsp["status"] == uint32(0) {
			h.t.Fatalf("endpoint %d registered on a fresh NCP", ep.ep)
		}
		h.ok("addEndpoint", ezsp.Params{"endpoint": ep.ep, "profileId": ep.profile, "deviceId": uint16(0x0065),
			"deviceVersion": uint8(1), "inputClusterList": ep.in, "outputClusterList": ep.in})
		if rsp := h.call("getExtendedValue", ezsp.Params{"valueId": uint8(0), "characteristics": uint32(ep.ep)}); rsp["status"] != uint32(0) {
			h.t.Fatalf("endpoint %d not registered: %v", ep.ep, rsp)
		}
	}
	h.ok("setMulticastTableEntry", ezsp.Params{"index": uint8(0), "multicastId": uint16(0), "endpoint": uint8(1)})
	h.ok("setPolicy", ezsp.Params{"policyId": uint8(0), "decisionId": uint8(0x03)})
	rsp := h.call("networkInit", ezsp.Params{"networkInitBitmask": uint16(3)})
	formed := false
	switch sl := ezsp.ToSL(uint32(rsp.Uint("status")), version); sl {
	case ezsp.SLOK:
		h.waitCallback("stackStatusHandler", isStatus(ezsp.SLNetworkUp, version))
	case ezsp.SLNotJoined:
		formed = true
		h.ok("setInitialSecurityState", ezsp.Params{"bitmask": uint16(0x0B84), "preconfiguredKey": bytes.Repeat([]byte{0x5A}, 16),
			"networkKey": testNetworkKey})
		h.ok("setValue", ezsp.Params{"valueId": uint8(0x0A), "value": []byte{0x10, 0x01}})
		h.ok("clearKeyTable", nil)
		h.ok("formNetwork", ezsp.Params{"parameters": ezsp.Params{"extendedPanId": uint64(0xDDDDDDDDDDDDDDDD),
			"panId": uint16(0x1A62), "radioTxPower": int8(5), "radioChannel": uint8(15), "channels": uint32(0x07FFF800)}})
		h.waitCallback("stackStatusHandler", isStatus(ezsp.SLNetworkUp, version))
	default:
		h.t.Fatalf("networkInit: %s", ezsp.SLStatusName(sl))
	}
	np := h.ok("getNetworkParameters", nil)
	if np["nodeType"] != uint8(1) || np.Struct("parameters").Uint("panId") != 0x1A62 ||
		np.Struct("parameters").Uint("radioChannel") != 15 || np.Struct("parameters").Uint("channels") != 0x07FFF800 {
		h.t.Fatalf("network parameters %v", np)
	}
	key := h.ok("exportKey", ezsp.Params{"context": ezsp.Params{"coreKeyType": uint8(1)}})
	if !bytes.Equal(key.Bytes("key"), testNetworkKey) {
		h.t.Fatalf("network key % X", key.Bytes("key"))
	}
	h.ok("setConcentrator", ezsp.Params{"on": uint8(1), "concentratorType": uint16(0xFFF9), "minTime": uint16(5), "maxTime": uint16(60)})
	h.call("setSourceRouteDiscoveryMode", ezsp.Params{"mode": uint8(2)})
	return formed
}

func isStatus(sl uint32, version uint8) func(ezsp.Params) bool {
	return func(p ezsp.Params) bool { return ezsp.ToSL(uint32(p.Uint("status")), version) == sl }
}

func TestEZSPHerdsmanStartFormResumeJoinSwitch(t *testing.T) {
	for _, version := range []uint8{13, 14} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			cfg := ezspTestConfig(t)
			n := startEZSP(t, cfg, version)
			h := dialEZSP(t, n)
			if !h.herdsmanStart(version) {
				t.Fatal("a fresh NCP resumed a network")
			}
			// A restarted host finds the network (networkInit OK).
			h.c.Close()
			h = dialEZSP(t, n)
			if h.herdsmanStart(version) {
				t.Fatal("the stored network was formed again")
			}

			// Permit join, a light joins and announces itself.
			ieee, err := n.AddDevice(t.Context(), DeviceSpec{Kind: KindLight})
			if err != nil {
				t.Fatal(err)
			}
			h.ok("permitJoining", ezsp.Params{"duration": uint8(60)})
			h.waitCallback("stackStatusHandler", isStatus(ezsp.SLNetworkOpened, version))
			if err := n.Press(t.Context(), ieee); err != nil {
				t.Fatal(err)
			}
			tc := h.waitCallback("trustCenterJoinHandler", nil)
			if zigbee.IEEE(tc.Uint("newNodeEui64")) != ieee || tc.Uint("status") != 1 {
				t.Fatalf("trustCenterJoinHandler %v", tc)
			}
			nwk := uint16(tc.Uint("newNodeId"))
			ann := h.waitCallback("incomingMessageHandler", func(p ezsp.Params) bool {
				return p.Struct("apsFrame").Uint("clusterId") == 0x0013
			})
			msg := ann.Bytes("message")
			if ann.Uint("type") != inBroadcast || len(msg) != 12 || uint16(msg[1])|uint16(msg[2])<<8 != nwk {
				t.Fatalf("device announce %v", ann)
			}

			// ZDO: Active_EP_req to the light.
			tag := uint16(0x21)
			rsp := h.ok("sendUnicast", ezsp.Params{"indexOrDestination": nwk,
				"apsFrame":   ezsp.Params{"clusterId": uint16(0x0005), "options": uint16(0x0140)},
				"messageTag": tag, "message": []byte{0x21, byte(nwk), byte(nwk >> 8)}})
			seq := rsp.Uint("apsSequence")
			sentCB := h.waitCallback("messageSentHandler", nil)
			if sentCB.Uint("messageTag") != uint64(tag) || sentCB.Struct("apsFrame").Uint("sequence") != seq || sentCB.Uint("status") != 0 {
				t.Fatalf("messageSentHandler %v (sequence %d)", sentCB, seq)
			}
			ep := h.waitCallback("incomingMessageHandler", func(p ezsp.Params) bool {
				return p.Struct("apsFrame").Uint("clusterId") == 0x8005
			})
			if m := ep.Bytes("message"); len(m) < 6 || m[0] != 0x21 || m[1] != 0 || m[4] != 1 || m[5] != 1 {
				t.Fatalf("Active_EP_rsp % X", m)
			}

			// ZCL On, then read the attribute back.
			h.ok("sendUnicast", ezsp.Params{"indexOrDestination": nwk,
				"apsFrame":   ezsp.Params{"profileId": uint16(0x0104), "clusterId": uint16(6), "sourceEndpoint": uint8(1), "destinationEndpoint": uint8(1), "options": uint16(0x0140)},
				"messageTag": uint16(2), "message": []byte{0x01, 0x05, 0x01}})
			h.waitCallback("incomingMessageHandler", func(p ezsp.Params) bool {
				m := p.Bytes("message")
				return p.Struct("apsFrame").Uint("clusterId") == 6 && len(m) >= 4 && m[1] == 0x05 && m[2] == 0x0B && m[4] == 0
			})
			info, err := n.Device(t.Context(), ieee)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Joined || info.NWK != zigbee.NWK(nwk) {
				t.Fatalf("device %+v", info)
			}
			if on := attrOn(t, n, ieee); !on {
				t.Fatal("the light is not on")
			}

			// Delivery failure to an address nobody has.
			h.ok("sendUnicast", ezsp.Params{"indexOrDestination": uint16(0x7777), "apsFrame": ezsp.Params{"clusterId": uint16(6),
				"sourceEndpoint": uint8(1), "destinationEndpoint": uint8(1)}, "messageTag": uint16(3), "message": []byte{1, 6, 1}})
			failed := h.waitCallback("messageSentHandler", func(p ezsp.Params) bool { return p.Uint("messageTag") == 3 })
			if ezsp.ToSL(uint32(failed.Uint("status")), version) != ezsp.SLDeliveryFailed {
				t.Fatalf("messageSentHandler %v", failed)
			}
		})
	}
}

// attrOn reads the light's On/Off attribute from the model.
func attrOn(t *testing.T, n *Network, ieee zigbee.IEEE) bool {
	t.Helper()
	var on bool
	err := n.withDevice(t.Context(), ieee, func(d *device) error {
		a := d.attr(1, clOnOff, 0)
		if a == nil {
			return errors.New("no on/off attribute")
		}
		on = a.val.n == 1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return on
}

func TestEZSPVersionRules(t *testing.T) {
	n := startEZSP(t, ezspTestConfig(t), 14)
	h := dialEZSP(t, n)
	// Before the version exchange every command is refused.
	_, err := h.c.Call(t.Context(), "nop", nil)
	var ic *ezsp.InvalidCommandError
	if !errors.As(err, &ic) || ic.Reason != ezsp.EzspErrVersionNotSet {
		t.Fatalf("nop before version: %v", err)
	}
	if _, err := h.c.Negotiate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Call(t.Context(), "nop", nil); err != nil {
		t.Fatal(err)
	}
	c, _ := ezsp.Lookup(0x0005, 14)
	unknown := *c
	unknown.ID = 0x0FFF
	_, err = h.c.CallCommand(t.Context(), &unknown, nil)
	if !errors.As(err, &ic) || ic.Reason != ezsp.EzspErrInvalidFrameID {
		t.Fatalf("unknown frame id: %v", err)
	}
}

func TestEZSPStatePersists(t *testing.T) {
	cfg := ezspTestConfig(t)
	func() {
		ctx, cancel := context.WithCancel(t.Context())
		n, err := NewEZSP(cfg, EZSPConfig{Version: 13})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		h := dialEZSP(t, n)
		h.herdsmanStart(13)
		h.c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}()
	n := startEZSP(t, cfg, 14) // the same stick flashed with 8.x keeps its tokens
	h := dialEZSP(t, n)
	if h.herdsmanStart(14) {
		t.Fatal("network lost across a restart")
	}
	fc := h.ok("getNetworkKeyInfo", nil)
	if fc.Uint("networkKeySet") != 1 {
		t.Fatalf("key info %v", fc)
	}
}
