package zcl

import "testing"

// A two-attribute temperature/battery report, as a sensor sends it.
var benchReport = []byte{0x18, 0x22, 0x0A, 0x00, 0x00, 0x29, 0x2E, 0x09, 0x21, 0x00, 0x20, 0xC8}

func BenchmarkParseReportAttributesFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseFrame(benchReport)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ParseReportAttributes(f.Payload)
		if err != nil || len(p.Records) != 2 {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeReadAttributes(b *testing.B) {
	b.ReportAllocs()
	req := ReadAttributes{Attributes: []AttributeID{0x0004, 0x0005, 0x0007, 0x4000}}
	buf := make([]byte, 0, 64)
	for b.Loop() {
		f := Frame{Type: FrameGlobal, TSN: 1, Command: CmdReadAttributes, Payload: req.AppendTo(buf[:0])}
		out := f.AppendTo(make([]byte, 0, 16))
		if len(out) != 11 {
			b.Fatal(len(out))
		}
	}
}
