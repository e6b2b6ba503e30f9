package ash

import (
	"encoding/hex"
	"testing"
)

// A v14 sendUnicast (ZCL Off), the most common frame a hub sends.
var benchData, _ = hex.DecodeString("270001340000dec90401060001014011000000030003010400")

func BenchmarkAppendFrame(b *testing.B) {
	buf := make([]byte, 0, MaxWire+1)
	f := Frame{Type: TypeData, FrmNum: 7, Data: benchData}
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFrame(b *testing.B) {
	wire, _ := AppendFrame(nil, Frame{Type: TypeData, FrmNum: 7, Data: benchData})
	raw := wire[:len(wire)-1]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFrame(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeframe(b *testing.B) {
	wire, _ := AppendFrame(nil, Frame{Type: TypeData, FrmNum: 7, Data: benchData})
	var d Deframer
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		d.Write(wire)
		if _, ok := d.Next(); !ok {
			b.Fatal("no frame")
		}
	}
}
