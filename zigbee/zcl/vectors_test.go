package zcl

import (
	"encoding/hex"
	"testing"
)

// frameVector is a real ZCL frame lifted from the shared vectors: the
// `data` field of an AF_DATA_REQUEST / AF_INCOMING_MSG (ZNP) or the
// messageContents of sendUnicast / incomingMessageHandler (EZSP). name
// cites the vector entry it came from.
type frameVector struct {
	name    string
	cluster uint16
	hex     string
}

var frameVectors = []frameVector{
	{"znp/af.json: AF_DATA_REQUEST req cluster=0x0006 [#4090]", 0x0006, "010600"},
	{"znp/af.json: AF_DATA_REQUEST req cluster=0x0B04", 0x0B04, "100500050508050b05"},
	{"znp/af.json: AF_DATA_REQUEST req cluster=0x0006 [#1209]", 0x0006, "18160b0a00"},
	{"znp/af.json: AF_DATA_REQUEST req ZCL OnOff \"on\" (worked example)", 0x0006, "010701"},
	{"znp/af.json: AF_DATA_REQUEST_EXT req", 0x0021, "1925060047ca00490b02e2f00100"},
	{"znp/af.json: AF_DATA_REQUEST_EXT req group 0x0001 OnOff toggle", 0x0006, "010802"},
	{"znp/af.json: AF_DATA_REQUEST_SRC_RTG req via relays [0x4A88,0x8499]", 0x0006, "010902"},
	{"znp/af.json: AF_INCOMING_MSG ind cluster=0x0400", 0x0400, "088d0a000021d678"},
	{"znp/af.json: AF_INCOMING_MSG ind cluster=0x0B04 [#3807]", 0x0B04, "183b0a050521ed00"},
	{"znp/af.json: AF_INCOMING_MSG ind cluster=0x0B04 [#3807/2]", 0x0B04, "18ef0a0805211e00"},
	{"znp/af.json: AF_INCOMING_MSG ind cluster=0x0000", 0x0000, "180b010000002001"},
	{"znp/af.json: AF_INCOMING_MSG ind cluster=0x0006", 0x0006, "08160a00002800"},
	{"znp/af.json: AF_INCOMING_MSG ind ZCL default response to \"on\"", 0x0006, "18070b0100"},
	{"znp/af.json: AF_DATA_REQUEST req interview example (genBasic read modelId)", 0x0000, "1003000500"},
	{"znp/af.json: AF_INCOMING_MSG ind interview example (read rsp modelId)", 0x0000,
		"1803010500004218545241444652492062756c62204532372057203830366c6d"},
	{"znp/traces/device_interview_zhc3935.txt: AF_DATA_REQUEST genBasic read dateCode", 0x0000, "1009000600"},
	{"ezsp/ezsp_frames.json: hm_test_sendUnicast_zcl_off_v14", 0x0006, "010400"},
	{"ezsp/ezsp_frames.json: hm_test_incomingMessageHandler_v14", 0x0006, "18040b0000"},
	{"ezsp/ezsp_frames.json: hm_test_messageSentHandler_v13_gp_broadcast", 0x0021, "190f020a0000"},
	{"ezsp/ezsp_frames.json: syn_sendUnicast_zcl_on_v14", 0x0006, "010501"},
	{"ezsp/ezsp_frames.json: syn_incomingMessageHandler_default_rsp_v14", 0x0006, "18050b0100"},
	{"ezsp/ezsp_frames.json: syn_incomingMessageHandler_onoff_report_v14", 0x0006, "18220a00001001"},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// vectorFrames returns the raw frames, for fuzz seeds.
func vectorFrames(t testing.TB) [][]byte {
	var out [][]byte
	for _, v := range frameVectors {
		out = append(out, unhex(t, v.hex))
	}
	return out
}

// vectorPayloads returns the payload of every vector frame carrying global
// command cmd.
func vectorPayloads(t testing.TB, cmd CommandID) [][]byte {
	var out [][]byte
	for _, b := range vectorFrames(t) {
		f, err := ParseFrame(b)
		if err == nil && f.IsGlobal(cmd) {
			out = append(out, f.Payload)
		}
	}
	return out
}
