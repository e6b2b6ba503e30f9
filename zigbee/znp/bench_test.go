package znp

import "testing"

// AF_INCOMING_MSG with a 32-byte ZCL read-attributes response (znp.md §11.3).
const benchIncoming = "FE3444810000000056C80101009C00C3B2A10000201803010500004218545241444652492062756C62204532372057203830366C6D56C81EA9"

func BenchmarkAppendFrame(b *testing.B) {
	f, err := ParseFrame(mustHex(b, benchIncoming))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, MaxFrameSize)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendFrame(buf[:0], f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFrame(b *testing.B) {
	raw := mustHex(b, benchIncoming)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := ParseFrame(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	f, err := ParseFrame(mustHex(b, benchIncoming))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	p := Params{
		"dstAddr": uint16(0x567E), "dstEndpoint": uint8(1), "srcEndpoint": uint8(1), "clusterId": uint16(6),
		"transId": uint8(0x15), "options": uint8(0), "radius": uint8(30), "data": []byte{0x01, 0x07, 0x01},
	}
	want := "FE0D24017E560101060015001E0301070109"
	f, err := AFDataRequest.EncodeRequest(p)
	if err != nil {
		b.Fatal(err)
	}
	if got, _ := AppendFrame(nil, f); string(got) != string(mustHex(b, want)) {
		b.Fatalf("encoded %X, want %s", got, want)
	}
	buf := make([]byte, 0, MaxPayload)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AFDataRequest.AppendPayload(buf[:0], SREQ, p); err != nil {
			b.Fatal(err)
		}
	}
}
