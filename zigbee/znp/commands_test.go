package znp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCommandTables(t *testing.T) {
	all := Commands()
	if len(all) < 100 {
		t.Errorf("only %d commands", len(all))
	}
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.Name] {
			t.Errorf("duplicate %s", c.Name)
		}
		seen[c.Name] = true
		if got, ok := CommandByName(c.Name); !ok || got != c {
			t.Errorf("CommandByName(%s) = %v, %v", c.Name, got, ok)
		}
		if got, ok := Lookup(c.RequestHeader()); c.Type != SRSP && (!ok || got != c) {
			t.Errorf("Lookup(%v) = %v, %v, want %s", c.RequestHeader(), got, ok, c.Name)
		}
		if c.Type == SREQ {
			if got, ok := Lookup(c.ResponseHeader()); !ok || got != c {
				t.Errorf("Lookup(%v) = %v, %v, want %s", c.ResponseHeader(), got, ok, c.Name)
			}
		}
		// Callbacks from the ZNP have ids with bit 7 set; requests do not
		// (protocol/znp.md §3), except APP_CNF_SET_NWK_FRAME_COUNTER (0xFF)
		// and ZDO_MSG_CB_INCOMING.
		if c.Type == AREQ && c.ID < 0x80 && c.Name != "SYS_RESET_REQ" && c.Name != "ZB_SYSTEM_RESET" {
			t.Errorf("%s: AREQ id 0x%02X below 0x80", c.Name, c.ID)
		}
		if c.Type == SREQ && c.ID >= 0x80 && c.Name != "APP_CNF_SET_NWK_FRAME_COUNTER" {
			t.Errorf("%s: SREQ id 0x%02X at or above 0x80", c.Name, c.ID)
		}
		prefix := map[Subsystem]string{SYS: "SYS_", UTIL: "UTIL_", AF: "AF_", ZDO: "ZDO_", APPCNF: "APP_CNF_",
			SAPI: "ZB_", RPCError: "RPC_"}[c.Subsystem]
		if prefix == "" || !strings.HasPrefix(c.Name, prefix) {
			t.Errorf("%s: name does not match subsystem %v", c.Name, c.Subsystem)
		}
		if c.Type == SREQ && len(c.Response) == 0 {
			t.Errorf("%s: SREQ without an SRSP schema", c.Name)
		}
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Subsystem > b.Subsystem || a.Subsystem == b.Subsystem && (a.Type > b.Type || a.Type == b.Type && a.ID >= b.ID) {
			t.Errorf("Commands() not ordered at %s, %s", a.Name, b.Name)
		}
	}
	// Commands a coordinator needs (protocol/znp.md §10–§12).
	for _, name := range []string{"SYS_RESET_REQ", "SYS_RESET_IND", "SYS_PING", "SYS_VERSION", "SYS_NV_READ",
		"UTIL_GET_DEVICE_INFO", "UTIL_ASSOC_ADD", "AF_REGISTER", "AF_DATA_REQUEST_EXT", "AF_INCOMING_MSG_EXT",
		"ZDO_STARTUP_FROM_APP", "ZDO_MGMT_PERMIT_JOIN_REQ", "ZDO_TC_DEV_IND", "ZDO_MSG_CB_INCOMING",
		"APP_CNF_BDB_START_COMMISSIONING", "APP_CNF_BDB_COMMISSIONING_NOTIFICATION", "ZB_READ_CONFIGURATION"} {
		if !seen[name] {
			t.Errorf("missing %s", name)
		}
	}
	if ZDOStartupFromApp.SRSPTimeout != 40*time.Second || AppCnfBDBStartCommissioning.SRSPTimeout != 40*time.Second {
		t.Error("slow SRSP timeouts not set")
	}
	if SysPing.SRSPTimeout != 0 {
		t.Error("SYS_PING has a special timeout")
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, h := range []Header{
		{Type: SREQ, Subsystem: SYS, ID: 0xEE},
		{Type: AREQ, Subsystem: SYS, ID: 0x01},      // SYS_PING is an SREQ
		{Type: SRSP, Subsystem: SYS, ID: 0x80},      // SYS_RESET_IND is an AREQ
		{Type: SREQ, Subsystem: RPCError, ID: 0x00}, // the RPC error is only an SRSP
		{Type: POLL, Subsystem: SYS, ID: 0x01},
		{Type: SREQ, Subsystem: MAC, ID: 0x00},
	} {
		_, _, err := Decode(Frame{Header: h})
		var pe *PayloadError
		if !errors.Is(err, ErrUnknownCommand) || !errors.As(err, &pe) || pe.Header != h {
			t.Errorf("Decode(%v): %v", h, err)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		want  error
		field string
	}{
		{"empty ping SRSP", "FE00610160", ErrShortPayload, "capabilities"},
		{"SYS_VERSION cut inside revision", "FE07610202010207014691", ErrShortPayload, "revision"},
		{"SYS_VERSION one byte after bootloader type", "FE0B6102020102070146D934010000C4", ErrShortPayload, "bootloaderRevision"},
		{"NV read value shorter than its length", "FE0361080002553D", ErrShortPayload, "value"},
		{"extra byte after data confirm", "FE04448000010A00C8", ErrTrailingPayload, ""},
		{"LQI record cut", "FE0745B18DB5000100010B", ErrShortPayload, "neighbors[0].extPanId"},
		{"simple descriptor longer than its length", "FE0E458400000000000AF2E0A105000000007B", ErrShortPayload, "simpleDescriptor"},
		{"simple descriptor shorter than its length", "FE0F45840000000000072F0401050000000000E1", ErrShortPayload, "simpleDescriptor.outClusters"},
		{"cluster list count past the end", "FE0924006E0401050000000500", ErrShortPayload, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := mustHex(t, tt.hex)
			f := Frame{Header: HeaderFromCmd(raw[2], raw[3]), Payload: raw[4 : len(raw)-1]}
			_, p, err := Decode(f)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, %v; want %v", p, err, tt.want)
			}
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *PayloadError", err)
			}
			if tt.field != "" && pe.Field != tt.field {
				t.Errorf("field %q, want %q (%v)", pe.Field, tt.field, err)
			}
			if pe.Command == "" || !strings.Contains(err.Error(), pe.Command) {
				t.Errorf("error %q does not name the command", err)
			}
		})
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	raw := mustHex(t, "FE0361080001553E")
	f, err := ParseFrame(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	raw[6] = 0xAA
	if got := p.Bytes("value"); !bytes.Equal(got, []byte{0x55}) {
		t.Errorf("value changed with the frame buffer: %X", got)
	}
}

func TestDecodeOptionalAndOmitted(t *testing.T) {
	// SYS_VERSION: 5 bytes (old stock image) and 9 bytes (with revision).
	_, p, err := Decode(Frame{Header: SysVersion.ResponseHeader(), Payload: []byte{2, 0, 2, 6, 3}})
	if err != nil || p.Has("revision") || p.U8("maintRel") != 3 {
		t.Errorf("5-byte SYS_VERSION: %v %v", p, err)
	}
	_, p, err = Decode(Frame{Header: SysVersion.ResponseHeader(), Payload: []byte{2, 1, 2, 7, 1, 0x46, 0xD9, 0x34, 0x01}})
	if err != nil || p.U32("revision") != 20240710 || p.Has("bootloaderBuildType") {
		t.Errorf("9-byte SYS_VERSION: %v %v", p, err)
	}
	// AF_INCOMING_MSG without the macSrcAddr/radius trailer (Z-Stack 1.2).
	_, p, err = Decode(Frame{Header: AFIncomingMsg.RequestHeader(),
		Payload: mustHex(t, "00000600 7E56 01 01 00 7B 00 87D61200 00 05 18070B0100")})
	if err != nil || p.Has("macSrcAddr") || !bytes.Equal(p.Bytes("data"), mustHex(t, "18070B0100")) {
		t.Errorf("AF_INCOMING_MSG without trailer: %v %v", p, err)
	}
	// AF_INCOMING_MSG_EXT carrying its data.
	ext := mustHex(t, "0000 1900 02 5E17000000000000 01 0000 01 00 AB 00 2D6A5F00 00 0300 AABBCC 5E17 13")
	_, p, err = Decode(Frame{Header: AFIncomingMsgExt.RequestHeader(), Payload: ext})
	if err != nil || p.Bool("dataOmitted") || !bytes.Equal(p.Bytes("data"), []byte{0xAA, 0xBB, 0xCC}) || p.U8("radius") != 0x13 {
		t.Errorf("AF_INCOMING_MSG_EXT with data: %v %v", p, err)
	}
	// … and without it, with two stray bytes (herdsman's observation).
	ext = mustHex(t, "0000 1900 02 5E17000000000000 01 0000 01 00 AB 00 2D6A5F00 00 2C01 EEEE 5E17 13")
	_, p, err = Decode(Frame{Header: AFIncomingMsgExt.RequestHeader(), Payload: ext})
	if err != nil || !p.Bool("dataOmitted") || p.U16("dataLen") != 300 || !bytes.Equal(p.Bytes("data"), []byte{0xEE, 0xEE}) ||
		p.U16("macSrcAddr") != 0x175E {
		t.Errorf("AF_INCOMING_MSG_EXT omitted: %v %v", p, err)
	}
	if f, err := AFIncomingMsgExt.EncodeRequest(p); err != nil || !bytes.Equal(f.Payload, ext) {
		t.Errorf("re-encode omitted: %X %v", f.Payload, err)
	}
}

func TestEncode(t *testing.T) {
	// Length and count fields may be left out; any integer type works.
	f, err := AFDataRequest.EncodeRequest(Params{
		"dstAddr": 0x567E, "dstEndpoint": 1, "srcEndpoint": 1, "clusterId": uint16(6),
		"transId": 0x15, "options": 0, "radius": 30, "data": []byte{0x01, 0x07, 0x01},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := AppendFrame(nil, f); !bytes.Equal(b, mustHex(t, "FE0D24017E560101060015001E0301070109")) {
		t.Errorf("AF_DATA_REQUEST = %X", b)
	}
	// Named integer types, as the zigbee package may define them.
	type nwk uint16
	type ieeeAddr uint64
	f, err = ZDOTCDevInd.EncodeRequest(Params{"nwkAddr": nwk(0xC856), "extAddr": ieeeAddr(0x000d6f0012e52153), "parentAddr": nwk(0)})
	if b, _ := AppendFrame(nil, f); err != nil || !bytes.Equal(b, mustHex(t, "FE0C45CA56C85321E512006F0D000000FA")) {
		t.Errorf("ZDO_TC_DEV_IND = %X, %v", b, err)
	}
	// Named list element types and byte arrays.
	type clusterID uint16
	type key [16]byte
	f, err = AFRegister.EncodeRequest(Params{"endpoint": 11, "profileId": 0x0104, "deviceId": 0x0400, "deviceVersion": 0,
		"latencyReq": 0, "inClusters": []clusterID{0x0501, 0x000A}, "outClusters": []clusterID{0x0500, 0x0502}})
	if b, _ := AppendFrame(nil, f); err != nil || !bytes.Equal(b, mustHex(t, "FE1124000B0401000400000201050A00020005020533")) {
		t.Errorf("AF_REGISTER = %X, %v", b, err)
	}
	f, err = UtilSetPreCfgKey.EncodeRequest(Params{"preCfgKey": key{1, 2, 15: 16}})
	if err != nil || len(f.Payload) != 16 || f.Payload[1] != 2 || f.Payload[15] != 16 {
		t.Errorf("UTIL_SET_PRECFGKEY = %X, %v", f.Payload, err)
	}
	// Nested records and a counted list without its count field.
	f, err = ZDOSimpleDescRsp.EncodeRequest(Params{"srcAddr": 0, "status": StatusSuccess, "nwkAddrOfInterest": 0,
		"simpleDescriptor": Params{"endpoint": 47, "profileId": 0x0104, "deviceId": 5, "deviceVersion": 0,
			"inClusters": []uint16{}, "outClusters": []int{}}})
	if b, _ := AppendFrame(nil, f); err != nil || !bytes.Equal(b, mustHex(t, "FE0E45840000000000082F04010500000000E8")) {
		t.Errorf("ZDO_SIMPLE_DESC_RSP = %X, %v", b, err)
	}
	f, err = ZDOMgmtLQIRsp.EncodeRequest(Params{"srcAddr": 1, "status": 0, "neighborTableEntries": 1, "startIndex": 0,
		"neighbors": []Params{{"extPanId": uint64(1), "extAddr": uint64(2), "nwkAddr": 3, "deviceType": 1,
			"rxOnWhenIdle": 1, "relationship": 2, "permitJoining": 0, "depth": 1, "lqi": 200}}})
	if err != nil || f.Payload[5] != 1 || f.Payload[len(f.Payload)-4] != 0x25 || len(f.Payload) != 6+22 {
		t.Errorf("ZDO_MGMT_LQI_RSP = %X, %v", f.Payload, err)
	}
	// Optional trailing fields stop at the first one left out.
	f, err = SysVersion.EncodeResponse(Params{"transportRev": 2, "product": 1, "majorRel": 2, "minorRel": 7, "maintRel": 1})
	if err != nil || len(f.Payload) != 5 {
		t.Errorf("SYS_VERSION = %X, %v", f.Payload, err)
	}
	// A binding table entry switches layout on the address mode.
	f, err = ZDOMgmtBindRsp.EncodeRequest(Params{"srcAddr": 1, "status": 0, "bindingTableEntries": 2, "startIndex": 0,
		"bindings": []Params{
			{"srcAddr": uint64(1), "srcEndpoint": 1, "clusterId": 6, "dstAddrMode": 1, "dstAddr": 0x0002},
			{"srcAddr": uint64(1), "srcEndpoint": 1, "clusterId": 6, "dstAddrMode": 3, "dstAddr": uint64(3), "dstEndpoint": 1},
		}})
	if err != nil || len(f.Payload) != 6+(8+1+2+1+2)+(8+1+2+1+8+1) {
		t.Fatalf("ZDO_MGMT_BIND_RSP = %X, %v", f.Payload, err)
	}
	if _, p, err := Decode(f); err != nil || p.List("bindings")[1].IEEE("dstAddr") != 3 || p.List("bindings")[0].U16("dstAddr") != 2 {
		t.Errorf("decode ZDO_MGMT_BIND_RSP: %v %v", p, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		cmd   *Command
		typ   Type
		p     Params
		want  error
		field string
	}{
		{"missing field", SysOSALNVRead, SREQ, Params{"id": 1}, ErrMissingField, "offset"},
		{"out of range", SysOSALNVRead, SREQ, Params{"id": 0x10000, "offset": 0}, ErrBadValue, "id"},
		{"negative", SysOSALNVRead, SREQ, Params{"id": -1, "offset": 0}, ErrBadValue, "id"},
		{"wrong type", SysOSALNVRead, SREQ, Params{"id": "x", "offset": 0}, ErrBadValue, "id"},
		{"i8 range", SysSetTxPower, SREQ, Params{"txPower": 128}, ErrBadValue, "txPower"},
		{"length disagrees", SysOSALNVWrite, SREQ, Params{"id": 1, "offset": 0, "valueLen": 2, "value": []byte{1}}, ErrBadValue, "value"},
		{"fixed size", UtilSetPreCfgKey, SREQ, Params{"preCfgKey": make([]byte, 15)}, ErrBadValue, "preCfgKey"},
		{"too long for a frame", SysOSALNVWriteExt, SREQ, Params{"id": 1, "offset": 0, "value": make([]byte, 245)}, ErrFrameTooLong, ""},
		{"too long for u8 length", SysOSALNVWrite, SREQ, Params{"id": 1, "offset": 0, "value": make([]byte, 256)}, ErrBadValue, "value"},
		{"gap in optional fields", SysVersion, SRSP, Params{"transportRev": 2, "product": 1, "majorRel": 2, "minorRel": 7,
			"maintRel": 1, "bootloaderBuildType": 0}, ErrMissingField, "revision"},
		{"bits too wide", ZDOMgmtLQIRsp, AREQ, Params{"srcAddr": 1, "status": 0, "neighborTableEntries": 1, "startIndex": 0,
			"neighbors": []Params{{"extPanId": 1, "extAddr": 2, "nwkAddr": 3, "deviceType": 4, "depth": 1, "lqi": 1}}},
			ErrBadValue, "neighbors[0].flags"},
		{"no such frame", SysPing, AREQ, Params{}, ErrUnknownCommand, ""},
		{"list element", AFRegister, SREQ, Params{"endpoint": 1, "profileId": 1, "deviceId": 1, "deviceVersion": 0,
			"latencyReq": 0, "inClusters": []int{1, 70000}, "outClusters": []uint16{}}, ErrBadValue, "inClusters[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cmd.Encode(tt.typ, tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Encode = %v, want %v", err, tt.want)
			}
			var pe *PayloadError
			if !errors.As(err, &pe) || pe.Op != "encode" || pe.Field != tt.field {
				t.Errorf("error %#v, want field %q", err, tt.field)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	if got := StatusMACNoACK.String(); got != "MAC_NO_ACK (0xE9)" {
		t.Errorf("String = %q", got)
	}
	if got := Status(0x77).String(); got != "UNKNOWN (0x77)" {
		t.Errorf("String = %q", got)
	}
	if StatusSuccess.Err("AF_DATA_CONFIRM") != nil {
		t.Error("success is an error")
	}
	err := fmt.Errorf("send: %w", StatusNWKNoRoute.Err("AF_DATA_CONFIRM"))
	if !errors.Is(err, StatusNWKNoRoute) || errors.Is(err, StatusMACNoACK) {
		t.Errorf("errors.Is on %v", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != StatusNWKNoRoute || se.Command != "AF_DATA_CONFIRM" {
		t.Errorf("errors.As on %v", err)
	}
	if got := err.Error(); got != "send: znp: AF_DATA_CONFIRM: status NWK_NO_ROUTE (0xCD)" {
		t.Errorf("Error = %q", got)
	}
	_, p, _ := Decode(Frame{Header: AFDataConfirm.RequestHeader(), Payload: []byte{0xE1, 1, 2}})
	if p.Status() != StatusMACChannelAccessFailure {
		t.Errorf("Params.Status = %v", p.Status())
	}
}

func TestParseRPCError(t *testing.T) {
	f, err := ParseFrame(mustHex(t, "FE03600002213373"))
	if err != nil {
		t.Fatal(err)
	}
	re, ok := ParseRPCError(f)
	if !ok || re.Code != 2 || re.Request != SysNVRead.RequestHeader() {
		t.Fatalf("ParseRPCError = %+v, %v", re, ok)
	}
	if !errors.Is(re, ErrRPC) || !strings.Contains(re.Error(), "SYS_NV_READ") || !strings.Contains(re.Error(), "invalid command id") {
		t.Errorf("error %q", re)
	}
	if _, ok := ParseRPCError(Frame{Header: SysPing.ResponseHeader(), Payload: []byte{1, 2, 3}}); ok {
		t.Error("a ping SRSP is not an RPC error")
	}
}

func TestParamsGetters(t *testing.T) {
	p := Params{"a": uint8(1), "b": uint16(2), "c": uint32(3), "d": int8(-4), "e": uint64(5), "f": []byte{6},
		"g": []uint16{7}, "h": Params{"x": uint8(8)}, "i": []Params{{}}, "j": true}
	if p.U8("a") != 1 || p.U16("b") != 2 || p.U32("c") != 3 || p.I8("d") != -4 || p.IEEE("e") != 5 ||
		p.Bytes("f")[0] != 6 || p.U8s("f")[0] != 6 || p.U16s("g")[0] != 7 || p.Struct("h").U8("x") != 8 ||
		len(p.List("i")) != 1 || !p.Bool("j") || !p.Has("a") || p.Has("z") {
		t.Error("getters")
	}
	if p.U16("a") != 0 || p.U8("z") != 0 {
		t.Error("wrong type or missing must give zero")
	}
}
