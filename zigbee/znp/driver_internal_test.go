package znp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zdo"
)

// Unit and fuzz tests of the driver's own payload codecs: callbacks to
// events, ZDP to MT ZDO requests and back, AF data requests, NV records.
// Where the command tables (commands*.go) describe the same frame, they
// serve as a second, independently written decoder.

const vectorsDir = "../../../shared/protocol/vectors/znp"

// vectorFrames returns the frames of the shared vectors sent in direction
// ("znp_to_host" or "host_to_znp").
func vectorFrames(t testing.TB, direction string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s: %v", vectorsDir, err)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var entries []struct {
			Hex       string `json:"hex"`
			Direction string `json:"direction"`
		}
		if err := json.Unmarshal(data, &entries); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, e := range entries {
			b, err := hex.DecodeString(e.Hex)
			if err != nil || e.Direction != direction {
				continue
			}
			if _, err := ParseFrame(b); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

func haProfile(zigbee.Endpoint) zigbee.ProfileID { return zigbee.ProfileHA }

func TestDecodeEventVectors(t *testing.T) {
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		hex  string
		want zigbee.Event
	}{
		{"TC_DEV_IND observed (z2m #3999)", "FE0C45CA56C85321E512006F0D000000FA",
			zigbee.DeviceJoined{NWK: 0xC856, IEEE: 0x000d6f0012e52153, Parent: 0}},
		{"END_DEVICE_ANNCE_IND observed (z2m #4398)", "FE0D45C1F2D9F2D950F6EDFEFFD76B088EF9",
			zigbee.DeviceAnnounced{NWK: 0xD9F2, IEEE: 0x086bd7fffeedf650, Capabilities: 0x8E}},
		{"LEAVE_IND", "FE0D45C956C85321E512006F0D00000000F8",
			zigbee.DeviceLeft{NWK: 0xC856, IEEE: 0x000d6f0012e52153}},
		{"SRC_RTG_IND observed, two relays", "FE0745C4B16B02FA15F06524",
			zigbee.RouteChanged{Dst: 0x6BB1, Relay: []zigbee.NWK{0x15FA, 0x65F0}}},
		{"SRC_RTG_IND observed, no relay", "FE0345C44E50009C",
			zigbee.RouteChanged{Dst: 0x504E, Relay: []zigbee.NWK{}}},
		{"AF_INCOMING_MSG default response (znp.md §12.2)", "FE194481000006007E560101007B0087D61200000518070B01007E561DEF",
			zigbee.MessageReceived{Message: zigbee.Message{Src: 0x567E, SrcEndpoint: 1, DstEndpoint: 1, Profile: zigbee.ProfileHA,
				Cluster: 6, LQI: 123, Received: now, Payload: []byte{0x18, 0x07, 0x0B, 0x01, 0x00}}}},
		{"AF_INCOMING_MSG report observed (znp.md §12.3, z2m #3364)",
			"FE1C4481" + "0000" + "0004" + "3E02" + "02" + "01" + "00" + "0F" + "00" + "79079100" + "00" + "08" + "088D0A000021D678" + "4860" + "1B" + "39",
			zigbee.MessageReceived{Message: zigbee.Message{Src: 0x023E, SrcEndpoint: 2, DstEndpoint: 1,
				Profile: zigbee.ProfileHA, Cluster: 0x0400, LQI: 15, Received: now,
				Payload: []byte{0x08, 0x8D, 0x0A, 0x00, 0x00, 0x21, 0xD6, 0x78}}}},
		{"STATE_CHANGE_IND is not an event", "FE0145C0098D", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFrame(hexBytes(t, tt.hex))
			if err != nil {
				t.Fatal(err)
			}
			ev, more, err := decodeEvent(f, haProfile, now)
			if err != nil || more != nil {
				t.Fatalf("decode: %v %v", err, more)
			}
			if !eventEqual(ev, tt.want) {
				t.Errorf("event = %#v\nwant    %#v", ev, tt.want)
			}
		})
	}
}

func eventEqual(a, b zigbee.Event) bool {
	switch x := a.(type) {
	case zigbee.RouteChanged:
		y, ok := b.(zigbee.RouteChanged)
		return ok && x.Dst == y.Dst && slices.Equal(x.Relay, y.Relay)
	case zigbee.MessageReceived:
		y, ok := b.(zigbee.MessageReceived)
		xm, ym := x.Message, y.Message
		return ok && bytes.Equal(xm.Payload, ym.Payload) && xm.Src == ym.Src && xm.SrcEndpoint == ym.SrcEndpoint &&
			xm.DstEndpoint == ym.DstEndpoint && xm.Profile == ym.Profile && xm.Cluster == ym.Cluster &&
			xm.Group == ym.Group && xm.WasBroadcast == ym.WasBroadcast && xm.LQI == ym.LQI && xm.Received.Equal(ym.Received)
	}
	return a == b
}

func TestDecodeEventOmittedData(t *testing.T) {
	// AF_INCOMING_MSG_EXT whose 0x00AB data bytes stay in the ZNP (af.json).
	for _, b := range vectorFrames(t, "znp_to_host") {
		f, _ := ParseFrame(b)
		if f.Header != cmdAFIncomingMsgExt {
			continue
		}
		ev, more, err := decodeEvent(f, haProfile, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		_, p, derr := Decode(f)
		if derr != nil {
			t.Fatal(derr)
		}
		if p.Bool("dataOmitted") != (more != nil) {
			t.Errorf("%X: omitted %v, command table says %v", b, more != nil, p.Bool("dataOmitted"))
		}
		if more != nil && (more.length != int(p.U16("dataLen")) || more.timestamp != p.U32("timestamp")) {
			t.Errorf("%X: retrieve %+v, want len %d timestamp %d", b, more, p.U16("dataLen"), p.U32("timestamp"))
		}
		if m := ev.(zigbee.MessageReceived).Message; m.Cluster != zigbee.ClusterID(p.U16("clusterId")) {
			t.Errorf("cluster %v", m.Cluster)
		}
	}
}

// FuzzDecodeEvent checks that decoding a callback never panics and agrees
// with the command tables whenever both decode it.
func FuzzDecodeEvent(f *testing.F) {
	for _, b := range vectorFrames(f, "znp_to_host") {
		if fr, _ := ParseFrame(b); fr.Type == AREQ {
			f.Add(b[2], b[3], fr.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, cmd0, cmd1 byte, payload []byte) {
		if len(payload) > MaxPayload {
			return
		}
		fr := Frame{HeaderFromCmd(cmd0, cmd1), payload}
		ev, more, err := decodeEvent(fr, haProfile, time.Time{})
		if err != nil || ev == nil {
			return
		}
		_, p, derr := Decode(fr)
		if derr != nil {
			return // the tables are strict about trailing bytes; the driver is not
		}
		switch e := ev.(type) {
		case zigbee.DeviceJoined:
			if uint16(e.NWK) != p.U16("nwkAddr") || uint64(e.IEEE) != p.IEEE("extAddr") || uint16(e.Parent) != p.U16("parentAddr") {
				t.Errorf("%#v vs %v", e, p)
			}
		case zigbee.DeviceAnnounced:
			if uint16(e.NWK) != p.U16("nwkAddr") || uint64(e.IEEE) != p.IEEE("ieeeAddr") || e.Capabilities != p.U8("capabilities") {
				t.Errorf("%#v vs %v", e, p)
			}
		case zigbee.DeviceLeft:
			if uint16(e.NWK) != p.U16("srcAddr") || uint64(e.IEEE) != p.IEEE("extAddr") || e.Rejoin != (p.U8("rejoin") != 0) {
				t.Errorf("%#v vs %v", e, p)
			}
		case zigbee.RouteChanged:
			relays := p.U16s("relays")
			if uint16(e.Dst) != p.U16("dstAddr") || len(relays) != len(e.Relay) {
				t.Errorf("%#v vs %v", e, p)
			}
			for i, r := range relays {
				if uint16(e.Relay[i]) != r {
					t.Errorf("relay %d: %v vs %v", i, e.Relay[i], r)
				}
			}
		case zigbee.MessageReceived:
			m := e.Message
			if uint16(m.Cluster) != p.U16("clusterId") || m.Group != p.U16("groupId") || m.LQI != p.U8("linkQuality") ||
				uint8(m.SrcEndpoint) != p.U8("srcEndpoint") || uint8(m.DstEndpoint) != p.U8("dstEndpoint") {
				t.Errorf("%+v vs %v", m, p)
			}
			if more == nil && !bytes.Equal(m.Payload, p.Bytes("data")) {
				t.Errorf("data %X vs %X", m.Payload, p.Bytes("data"))
			}
			if fr.Header == cmdAFIncomingMsg && uint16(m.Src) != p.U16("srcAddr") {
				t.Errorf("src %v vs %v", m.Src, p.U16("srcAddr"))
			}
		}
	})
}

func TestBuildZDO(t *testing.T) {
	tests := []struct {
		name    string
		dst     zigbee.NWK
		cluster zigbee.ClusterID
		zdp     string // without the sequence number
		want    string // the MT frame
	}{
		{"Node_Desc_req (znp.md §11.3)", 0xC856, 0x0002, "56C8", "FE04250256C856C823"},
		{"Active_EP_req (znp.md §11.3)", 0xC856, 0x0005, "56C8", "FE04250556C856C824"},
		{"Simple_Desc_req ep 1 (znp.md §11.3)", 0xC856, 0x0004, "56C801", "FE05250456C856C80125"},
		{"Mgmt_Permit_Join_req broadcast 254 s (znp.md §11.1)", 0xFFFC, 0x0036, "FE01", "FE0525360FFCFFFE01E5"},
		{"Mgmt_Permit_Join_req one router (zigpy form)", 0xF315, 0x0036, "F000", ""},
		{"Mgmt_Leave_req rejoin + remove children", 0x1234, 0x0034, "0102030405060708C0", ""},
		{"Bind_req to a group", 0x1234, 0x0021, "0807060504030201" + "01" + "0600" + "01" + "0100", ""},
		{"Bind_req to a device", 0x1234, 0x0021, "0807060504030201" + "01" + "0600" + "03" + "1111111111111111" + "01", ""},
		{"Mgmt_NWK_Update_req ED scan", 0x0000, 0x0038, "00F8FF07" + "03" + "01", ""},
		{"Mgmt_NWK_Update_req channel change", 0xFFFD, 0x0038, "00800000" + "FE" + "01", ""},
		{"NWK_addr_req", 0xFFFD, 0x0000, "0102030405060708" + "00" + "00", ""},
		{"IEEE_addr_req extended", 0x1234, 0x0001, "3412" + "01" + "00", ""},
		{"Mgmt_Lqi_req", 0x1234, 0x0031, "00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := buildZDO(tt.dst, tt.cluster, hexBytes(t, tt.zdp))
			if err != nil {
				t.Fatal(err)
			}
			b, err := AppendFrame(nil, call.req)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && !strings.EqualFold(hex.EncodeToString(b), tt.want) {
				t.Errorf("built %X, want %s", b, tt.want)
			}
			cmd, p, err := Decode(call.req)
			if err != nil {
				t.Fatalf("the command table rejects %X: %v", b, err)
			}
			if want := uint8(0x80 | tt.cluster&0x7F); call.rsp != want {
				t.Errorf("response id 0x%02X, want 0x%02X", call.rsp, want)
			}
			switch tt.cluster {
			case 0x0034: // ZDP flags 0xC0 → MT bits 0 and 1
				if p.U8("removeChildrenRejoin") != 0x03 {
					t.Errorf("%s: leave flags not translated: %v", cmd.Name, p)
				}
			case 0x0021:
				if len(call.req.Payload) != 2+8+1+2+1+8+1 {
					t.Errorf("bind payload of %d bytes, want the 8-byte address form", len(call.req.Payload))
				}
			}
		})
	}
	if _, err := buildZDO(0, 0x0013, nil); err == nil {
		t.Errorf("an unsupported cluster was accepted")
	}
	if _, err := buildZDO(0, 0x0004, []byte{1}); err == nil {
		t.Errorf("a short Simple_Desc_req was accepted")
	}
}

// FuzzBuildZDO checks that any ZDP request the driver accepts becomes an MT
// request the command tables accept, and that response conversion never
// panics.
func FuzzBuildZDO(f *testing.F) {
	for _, c := range []uint16{0x0000, 0x0001, 0x0002, 0x0004, 0x0006, 0x0021, 0x0034, 0x0036, 0x0038} {
		f.Add(uint16(0x1234), c, []byte{0x34, 0x12, 0x01, 0x04, 0x01, 0x00, 0x00, 0x01, 0x06, 0x00, 0x01, 0x01, 0x00}, []byte{0x34, 0x12, 0, 0x34, 0x12, 0x01, 0x01})
	}
	f.Fuzz(func(t *testing.T, dst, cluster uint16, zdp, rsp []byte) {
		call, err := buildZDO(zigbee.NWK(dst), zigbee.ClusterID(cluster), zdp)
		if err != nil {
			return
		}
		if len(call.req.Payload) > MaxPayload {
			return
		}
		if _, _, err := Decode(call.req); err != nil {
			t.Errorf("ZDP %04X % X built %v, rejected by the command table: %v", cluster, zdp, call.req, err)
		}
		if out, err := call.convert(rsp); err == nil && len(out) > len(rsp) {
			t.Errorf("conversion grew %d bytes to %d", len(rsp), len(out))
		}
		call.match(Frame{Header{AREQ, ZDO, call.rsp}, rsp})
	})
}

// TestZDPRequestsFromZDO builds requests with zigbee/zdo (what the hub
// hands to ZDORequest) and checks their MT form against the command tables.
func TestZDPRequestsFromZDO(t *testing.T) {
	tests := []struct {
		msg   zdo.Message
		check func(Params) bool
	}{
		{zdo.NWKAddrReq{IEEE: 0x00124b0001020304, RequestType: 1}, func(p Params) bool { return p.IEEE("ieeeAddr") == 0x00124b0001020304 && p.U8("reqType") == 1 }},
		{zdo.IEEEAddrReq{NWK: 0x1234}, func(p Params) bool { return p.U16("shortAddr") == 0x1234 }},
		{zdo.NodeDescReq{NWKOfInterest: 0x1234}, func(p Params) bool { return p.U16("dstAddr") == 0x1234 && p.U16("nwkAddrOfInterest") == 0x1234 }},
		{zdo.PowerDescReq{NWKOfInterest: 0x1234}, func(p Params) bool { return p.U16("nwkAddrOfInterest") == 0x1234 }},
		{zdo.SimpleDescReq{NWKOfInterest: 0x1234, Endpoint: 11}, func(p Params) bool { return p.U8("endpoint") == 11 }},
		{zdo.ActiveEPReq{NWKOfInterest: 0x1234}, func(p Params) bool { return p.U16("nwkAddrOfInterest") == 0x1234 }},
		{zdo.MatchDescReq{NWKOfInterest: 0xFFFD, Profile: zigbee.ProfileHA, InClusters: []zigbee.ClusterID{0x0019}},
			func(p Params) bool {
				return p.U16("profileId") == 0x0104 && slices.Equal(p.U16s("inClusters"), []uint16{0x0019})
			}},
		{zdo.BindReq{SrcIEEE: 0x00124b0001020304, SrcEndpoint: 1, ClusterID: 6, Dst: zdo.UnicastTarget(0x00124b00aabbccdd, 1)},
			func(p Params) bool {
				return p.U8("dstMode") == 3 && p.IEEE("dst") == 0x00124b00aabbccdd && p.U8("dstEndpoint") == 1
			}},
		{zdo.BindReq{SrcIEEE: 0x00124b0001020304, SrcEndpoint: 1, ClusterID: 6, Dst: zdo.BindTarget{Mode: zdo.BindGroup, Group: 0x0042}},
			func(p Params) bool { return p.U8("dstMode") == 1 && p.IEEE("dst") == 0x0042 }},
		{zdo.MgmtLqiReq{StartIndex: 3}, func(p Params) bool { return p.U8("startIndex") == 3 }},
		{zdo.MgmtRtgReq{StartIndex: 3}, func(p Params) bool { return p.U8("startIndex") == 3 }},
		{zdo.MgmtLeaveReq{IEEE: 0x00124b0001020304, Rejoin: true}, func(p Params) bool { return p.U8("removeChildrenRejoin") == 0x01 }},
		{zdo.MgmtLeaveReq{IEEE: 0x00124b0001020304, RemoveChildren: true}, func(p Params) bool { return p.U8("removeChildrenRejoin") == 0x02 }},
		{zdo.MgmtPermitJoiningReq{Duration: 60, TCSignificance: true}, func(p Params) bool { return p.U8("duration") == 60 && p.U8("tcSignificance") == 1 }},
		{zdo.MgmtNWKUpdateReq{Channels: zigbee.Channel(15).Mask(), ScanDuration: 0xFE, UpdateID: 2}, func(p Params) bool {
			return p.U32("channelMask") == 1<<15 && p.U8("scanDuration") == 0xFE
		}},
		{zdo.MgmtNWKUpdateReq{Channels: 0x07FFF800, ScanDuration: 3, ScanCount: 2}, func(p Params) bool { return p.U8("scanCount") == 2 }},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%T", tt.msg), func(t *testing.T) {
			frame := zdo.Encode(0x5A, tt.msg)
			dst := zigbee.NWK(0x1234)
			if tt.msg.Cluster() == 0x0038 || tt.msg.Cluster() == 0x0006 {
				dst = 0xFFFD
			}
			call, err := buildZDO(dst, tt.msg.Cluster(), frame[1:])
			if err != nil {
				t.Fatal(err)
			}
			_, p, err := Decode(call.req)
			if err != nil {
				t.Fatalf("%v: command table: %v", call.req, err)
			}
			if !tt.check(p) {
				t.Errorf("MT request %v decodes to %v", call.req, p)
			}
		})
	}
}

func TestAddrRspOrder(t *testing.T) {
	// MT IEEE_ADDR_RSP (zdo.json): status 0, ieee, nwk 0xC856, startIndex 0,
	// numAssoc 2, [0x1111, 0x2222].
	f, _ := ParseFrame(hexBytes(t, "FE114581005321E512006F0D0056C8000211112222AE"))
	got, err := addrRsp(true)(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	want := "00" + "5321E512006F0D00" + "56C8" + "02" + "00" + "11112222"
	if m, err := zdo.DecodePayload(0x8001, got); err != nil {
		t.Errorf("zdo rejects %X: %v", got, err)
	} else if r := m.(zdo.IEEEAddrRsp); r.NWK != 0xC856 || len(r.AssocDevices) != 2 || r.AssocDevices[1] != 0x2222 {
		t.Errorf("zdo decodes %+v", r)
	}
	if !strings.EqualFold(hex.EncodeToString(got), want) {
		t.Errorf("ZDP IEEE_addr_rsp = %X, want %s", got, want)
	}
	got, err = addrRsp(false)(f.Payload)
	if err != nil || len(got) != 11 {
		t.Errorf("single request: %X %v, want only status, ieee, nwk", got, err)
	}
}

// TestZDOResponsesDecodeWithZDP converts every ZDO response callback of the
// shared vectors to a ZDP payload and decodes it with zigbee/zdo, the
// codec the hub uses on what ZDORequest returns.
func TestZDOResponsesDecodeWithZDP(t *testing.T) {
	seen := 0
	for _, b := range vectorFrames(t, "znp_to_host") {
		f, _ := ParseFrame(b)
		if f.Type != AREQ || f.Subsystem != ZDO || f.ID < 0x80 || f.ID > 0xB8 {
			continue
		}
		cluster := zigbee.ClusterID(0x8000 | uint16(f.ID&0x7F))
		convert := dropSrc
		if f.ID == 0x80 || f.ID == 0x81 {
			convert = addrRsp(true)
		}
		zdp, err := convert(f.Payload)
		if err != nil {
			t.Errorf("%X: %v", b, err)
			continue
		}
		if _, err := zdo.DecodePayload(cluster, zdp); err != nil {
			t.Errorf("%s %X → ZDP %X: zdo rejects it: %v", cmdName(f.Header), b, zdp, err)
		}
		seen++
	}
	if seen < 10 {
		t.Errorf("only %d ZDO response vectors", seen)
	}
}

func TestDataRequestFrames(t *testing.T) {
	tests := []struct {
		name string
		f    zigbee.APSFrame
		src  zigbee.Endpoint
		tid  uint8
		want string
	}{
		{"unicast On (znp.md §12.2)", zigbee.APSFrame{Dst: zigbee.Unicast(0x567E), DstEndpoint: 1, Cluster: 6,
			Payload: []byte{0x01, 0x07, 0x01}}, 1, 0x15, "FE0D24017E560101060015001E0301070109"},
		{"group toggle (znp.md §12.4)", zigbee.APSFrame{Dst: zigbee.Groupcast(1), Cluster: 6,
			Payload: []byte{0x01, 0x08, 0x02}}, 1, 0x16, "FE172402010100000000000000FF000001060016001E0300010802C9"},
		{"default response (herdsman #1209)", zigbee.APSFrame{Dst: zigbee.Unicast(0xD8E4), DstEndpoint: 1, Cluster: 6,
			Payload: []byte{0x18, 0x16, 0x0B, 0x0A, 0x00}}, 1, 0xC5, "FE0F2401E4D801010600C5001E0518160B0A00C1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr, err := dataRequest(tt.f, tt.src, tt.tid)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := AppendFrame(nil, fr)
			if !strings.EqualFold(hex.EncodeToString(b), tt.want) {
				t.Errorf("built %X, want %s", b, tt.want)
			}
			if _, _, err := Decode(fr); err != nil {
				t.Errorf("command table: %v", err)
			}
		})
	}
	// Broadcasts, IEEE destinations and long payloads use the _EXT form.
	for _, f := range []zigbee.APSFrame{
		{Dst: zigbee.Broadcast(zigbee.NWKBroadcastRxOn), DstEndpoint: 0xFF, Cluster: 6, Payload: []byte{1}},
		{Dst: zigbee.Address{Mode: zigbee.AddrIEEE, IEEE: 0x00124b0001020304}, DstEndpoint: 1, Cluster: 6, Payload: []byte{1}},
		{Dst: zigbee.Unicast(0x1234), DstEndpoint: 1, Cluster: 6, Payload: make([]byte, maxShortPayload+1)},
	} {
		fr, err := dataRequest(f, 1, 9)
		if err != nil || fr.Header != cmdAFDataRequestExt {
			t.Errorf("%v: %v %v, want AF_DATA_REQUEST_EXT", f, fr.Header, err)
			continue
		}
		if _, p, err := Decode(fr); err != nil || p.U8("dstAddrMode") != uint8(f.Dst.Mode) {
			t.Errorf("%v: command table: %v %v", f, p, err)
		}
	}
	if _, err := dataRequest(zigbee.APSFrame{Dst: zigbee.Unicast(1), Payload: make([]byte, MaxSendPayload+1)}, 1, 1); err == nil {
		t.Errorf("an oversized payload was accepted")
	}
}

func TestDecide(t *testing.T) {
	formed := func(pan zigbee.PANID, ext zigbee.ExtPANID, ch zigbee.Channel) nib {
		n := nib{raw: make([]byte, nibLenAligned), aligned: true}
		n.set(pan, ext, ch, ch.Mask(), 0, 5)
		return n
	}
	key := zigbee.NetworkKey{1, 2, 3}
	st := nvState{configured: true, hasNIB: true, nib: formed(0x1A62, 0xABCD, 15), key: key, hasKey: true}
	backup := &zigbee.Backup{}
	tests := []struct {
		name   string
		cfg    zigbee.NetworkConfig
		st     nvState
		force  bool
		backup *zigbee.Backup
		want   startPlan
	}{
		{"blank", zigbee.NetworkConfig{}, nvState{}, false, nil, planForm},
		{"blank with a matching backup", zigbee.NetworkConfig{}, nvState{}, false, backup, planRestore},
		{"all generated", zigbee.NetworkConfig{}, st, false, nil, planResume},
		{"all equal", zigbee.NetworkConfig{Channel: 15, PANID: 0x1A62, ExtPANID: 0xABCD, Key: key}, st, false, nil, planResume},
		{"other channel", zigbee.NetworkConfig{Channel: 11}, st, false, nil, planForm},
		{"other PAN id", zigbee.NetworkConfig{PANID: 0x1A63}, st, false, nil, planForm},
		{"other ext PAN id", zigbee.NetworkConfig{ExtPANID: 1}, st, false, nil, planForm},
		{"other key", zigbee.NetworkConfig{Key: zigbee.NetworkKey{9}}, st, false, nil, planForm},
		{"force", zigbee.NetworkConfig{}, st, true, nil, planForm},
		{"configured ignores a backup", zigbee.NetworkConfig{}, st, false, backup, planResume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := decide(tt.cfg, tt.st, tt.force, tt.backup); got != tt.want {
				t.Errorf("plan %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

func TestNIBLayouts(t *testing.T) {
	// The aligned NIB of vectors/znp/sys.json (Zigbee2MQTT on CC26xx):
	// channel 11, PAN 0x1A62, ext PAN 00:12:4b:00:25:7e:07:8b.
	var rsp []byte
	for _, b := range vectorFrames(t, "znp_to_host") {
		if f, _ := ParseFrame(b); f.Header == (Header{SRSP, SYS, 0x1C}) && len(f.Payload) == 2+nibLenAligned {
			rsp = f.Payload[2:]
		}
	}
	if rsp == nil {
		t.Fatal("no aligned NIB in the vectors")
	}
	n, err := parseNIB(rsp)
	if err != nil {
		t.Fatal(err)
	}
	if !n.aligned || n.channel() != 11 || n.panID() != 0x1A62 || n.extPANID() != 0x00124b00257e078b || !n.formed() {
		t.Errorf("NIB: aligned %v channel %d PAN %v ext %v", n.aligned, n.channel(), n.panID(), n.extPANID())
	}
	n.set(0x1234, 0x1122334455667788, 20, zigbee.Channel(20).Mask(), 3, 5)
	back, _ := parseNIB(n.raw)
	if back.panID() != 0x1234 || back.extPANID() != 0x1122334455667788 || back.channel() != 20 ||
		back.channelList() != zigbee.Channel(20).Mask() || back.updateID() != 3 || back.securityLevel() != 5 {
		t.Errorf("NIB set/get mismatch")
	}
	if _, err := parseNIB(make([]byte, 50)); err == nil {
		t.Errorf("a 50-byte NIB was accepted")
	}
}

func TestHashedKeyRotatesLeft(t *testing.T) {
	seed := make([]byte, 16)
	for i := range seed {
		seed[i] = byte(i)
	}
	// IEEE 0: the key is the seed rotated left by shift bytes.
	k := hashedKey(0, seed, 1)
	if want := append(seed[1:], seed[0]); !bytes.Equal(k[:], want) {
		t.Errorf("rotation: %X, want %X", k, want)
	}
	// The IEEE address is XORed in wire order (little-endian), twice.
	k = hashedKey(0x0807060504030201, make([]byte, 16), 0)
	if want := hexBytes(t, "01020304050607080102030405060708"); !bytes.Equal(k[:], want) {
		t.Errorf("IEEE mix: %X, want %X", k, want)
	}
	ieee := zigbee.IEEE(0x00124b0001020304)
	key := hashedKey(ieee, seed, 7)
	if got := keyShift(ieee, key, seed); got != 7 {
		t.Errorf("keyShift = %d, want 7", got)
	}
	if got := keyShift(ieee, key, seedFor(ieee, key)); got != 0 {
		t.Errorf("keyShift with the derived seed = %d, want 0", got)
	}
}

// FuzzNVRecords checks the address-manager and TC link-key records
// round-trip byte-exact (padding aside) and never panic.
func FuzzNVRecords(f *testing.F) {
	f.Add(hexBytes(f, "0300b16b0807060504030201"))                 // aligned address-manager entry
	f.Add(hexBytes(f, "03b16b0807060504030201"))                   // packed address-manager entry
	f.Add(hexBytes(f, "01000000000000000102030405060708020007"))   // packed TC link-key entry
	f.Add(hexBytes(f, "0100000000000000010203040506070802000700")) // aligned TC link-key entry
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, ok := parseAddrMgrEntry(b); ok {
			out := e.appendTo(nil, len(b) == addrMgrEntryLen)
			if len(out) != len(b) || out[0] != b[0] || !bytes.Equal(out[len(out)-10:], b[len(b)-10:]) {
				t.Errorf("addrmgr %X → %X", b, out)
			}
		}
		if e, ok := parseTCLKEntry(b); ok {
			out := e.appendTo(nil, false)
			if !bytes.Equal(out, b[:tclkEntryLen-1]) {
				t.Errorf("tclk %X → %X", b, out)
			}
		}
		parseNIB(b)
	})
}

// TestSendConcurrencyLimit checks that no more than MaxTransactions sends
// wait for their confirms at once, and that each gets its own confirm.
func TestSendConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := newFakeZNP(t, func(f Frame) []byte { return frameBytes(t, srspOf(f.Header), 0) })
		d, s := upDriver(t, z)
		defer s.c.Close()
		limit := cap(d.txSem)
		total := limit + 4
		errs := make(chan error, total)
		for i := range total {
			go func() {
				errs <- d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(0x1234), DstEndpoint: 1, Cluster: 6,
					Payload: []byte{0x01, byte(i), 0x02}})
			}()
		}
		var tids []byte
		for len(tids) < total {
			synctest.Wait()
			if len(z.rx) == 0 {
				t.Fatalf("%d requests on the wire, then nothing", len(tids))
			}
			var batch []byte
			for len(z.rx) > 0 {
				f := <-z.rx
				batch = append(batch, f.Payload[6])
			}
			if inFlight := len(batch); len(tids) == 0 && inFlight != limit {
				t.Fatalf("%d sends in flight, want the limit %d", inFlight, limit)
			}
			tids = append(tids, batch...)
			// Confirm this batch in reverse order; each send gets its own.
			for i := len(batch) - 1; i >= 0; i-- {
				z.write(frameBytes(t, cmdAFDataConfirm, 0, 1, batch[i]))
			}
		}
		for range total {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		slices.Sort(tids)
		if len(slices.Compact(tids)) != total {
			t.Errorf("transaction ids %v are not distinct", tids)
		}
	})
}

// TestRetrieveLargeMessage feeds an AF_INCOMING_MSG_EXT without its data:
// the driver pulls it with AF_DATA_RETRIEVE in chunks, frees the buffer and
// emits the whole message.
func TestRetrieveLargeMessage(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i)
	}
	const ts = 0x01020304
	z := newFakeZNP(t, func(f Frame) []byte {
		if f.Header != cmdAFDataRetrieve {
			return nil
		}
		r := rd{b: f.Payload}
		if r.u32() != ts {
			return frameBytes(t, srspOf(f.Header), 0x02, 0)
		}
		off, n := int(r.u16()), int(r.u8())
		if n == 0 {
			return frameBytes(t, srspOf(f.Header), 0, 0)
		}
		return frameBytes(t, srspOf(f.Header), append([]byte{0, byte(n)}, data[off:off+n]...)...)
	})
	d, s := upDriver(t, z)
	defer s.c.Close()
	ind := []byte{0, 0, 0x00, 0x0A} // group 0, cluster 0x0A00
	ind = append(ind, 2)            // NWK address mode
	ind = le64(ind, 0x4321)
	ind = append(ind, 3)   // src endpoint
	ind = le16(ind, 0)     // src PAN
	ind = append(ind, 1)   // dst endpoint
	ind = append(ind, 0)   // not broadcast
	ind = append(ind, 200) // LQI
	ind = append(ind, 0)   // security
	ind = le32(ind, ts)
	ind = append(ind, 9)
	ind = le16(ind, uint16(len(data)))
	z.write(frameBytes(t, cmdAFIncomingMsgExt, ind...))
	ev := <-d.Events()
	m, ok := ev.(zigbee.MessageReceived)
	if !ok || m.Message.Src != 0x4321 || m.Message.Cluster != 0x0A00 || m.Message.LQI != 200 || !bytes.Equal(m.Message.Payload, data) {
		t.Fatalf("event %#v, want the 300-byte message from 0x4321", ev)
	}
	var sizes []int
	for len(z.rx) > 0 {
		f := <-z.rx
		sizes = append(sizes, int(f.Payload[6]))
	}
	if !slices.Equal(sizes, []int{240, 60, 0}) {
		t.Errorf("retrieve sizes %v, want 240, 60, then 0 to free", sizes)
	}
}

func TestPermitJoinWake(t *testing.T) {
	d := &Driver{}
	if _, ok := d.permitJoinWake(); ok {
		t.Errorf("closed network has a wake time")
	}
	d.pjUntil = time.Now().Add(time.Minute)
	if w, ok := d.permitJoinWake(); !ok || !w.Equal(d.pjUntil) {
		t.Errorf("short window: wake %v, want its end", w)
	}
	d.pjUntil = time.Now().Add(time.Hour)
	if w, ok := d.permitJoinWake(); !ok || time.Until(w) > maxPermitJoin || time.Until(w) < maxPermitJoin-time.Minute {
		t.Errorf("long window: wake in %v, want a renewal before 254 s", time.Until(w))
	}
}
