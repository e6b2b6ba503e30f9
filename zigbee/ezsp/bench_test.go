package ezsp

import (
	"encoding/hex"
	"testing"
)

var benchIncoming, _ = hex.DecodeString("409001450000040106000101000000007234120000000000000000ffffb4c95fe401000718220a00001001")

func BenchmarkDecodeIncomingMessage(b *testing.B) {
	f, err := ParseFrame(benchIncoming, FormatExtended)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(f, 14); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSendUnicast(b *testing.B) {
	c, _ := CommandByName("sendUnicast", 14)
	p := Params{"type": uint8(0), "indexOrDestination": uint16(0x1234),
		"apsFrame": Params{"profileId": uint16(0x0104), "clusterId": uint16(6), "sourceEndpoint": uint8(1),
			"destinationEndpoint": uint8(1), "options": uint16(0x1140)},
		"messageTag": uint16(17), "message": []byte{0x01, 0x05, 0x01}}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = EncodeParams(buf[:0], c, false, p, 14); err != nil {
			b.Fatal(err)
		}
	}
}
