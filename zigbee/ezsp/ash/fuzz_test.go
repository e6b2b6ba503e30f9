package ash

import (
	"bytes"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, v := range loadVectors[ashVector](f, "ash_frames.json") {
		f.Add(unhex(f, v.Hex))
	}
	for _, v := range loadVectors[malformedVector](f, "malformed.json") {
		f.Add(unhex(f, v.Hex))
	}
	for _, v := range loadVectors[streamVector](f, "ash_streams.json") {
		var all []byte
		for _, c := range v.Chunks {
			all = append(all, unhex(f, c)...)
		}
		f.Add(all)
	}
}

// FuzzDeframe feeds arbitrary line bytes through the Deframer and the
// frame parser: nothing panics, every frame that parses re-encodes to bytes
// that parse to the same frame, and splitting the input at any point yields
// the same frames.
func FuzzDeframe(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := wireFrames(in)
		var d Deframer
		var parts [][]byte
		half := len(in) / 2
		for _, chunk := range [][]byte{in[:half], in[half:]} {
			d.Write(chunk)
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				parts = append(parts, bytes.Clone(raw))
			}
		}
		if len(parts) != len(whole) {
			t.Fatalf("split reads gave %d frames, one read %d", len(parts), len(whole))
		}
		for i, raw := range whole {
			if !bytes.Equal(raw, parts[i]) {
				t.Fatalf("frame %d differs between split and whole reads", i)
			}
			fr, err := ParseFrame(raw)
			if err != nil {
				continue
			}
			out, err := AppendFrame(nil, fr)
			if err != nil {
				t.Fatalf("re-encode %v: %v", fr, err)
			}
			again := wireFrames(out)
			if len(again) != 1 {
				t.Fatalf("re-encoded frame deframes into %d frames", len(again))
			}
			fr2, err := ParseFrame(again[0])
			if err != nil {
				t.Fatalf("re-encoded frame does not parse: %v", err)
			}
			if fr2.String() != fr.String() {
				t.Fatalf("round trip changed %v into %v", fr, fr2)
			}
		}
	})
}

// FuzzRandomize checks that de-randomizing is an involution and that a DATA
// frame of any valid payload survives the codec.
func FuzzRandomize(f *testing.F) {
	for _, v := range loadVectors[ashVector](f, "ash_frames.json") {
		if v.EZSP != nil {
			f.Add(unhex(f, *v.EZSP))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x := bytes.Clone(data)
		Randomize(x)
		Randomize(x)
		if !bytes.Equal(x, data) {
			t.Fatal("randomizing twice changed the data")
		}
		if len(data) < MinData || len(data) > MaxData {
			return
		}
		out, err := AppendFrame(nil, Frame{Type: TypeData, FrmNum: 3, AckNum: 5, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(out[:len(out)-1], Flag) >= 0 {
			t.Fatal("a Flag inside the stuffed frame")
		}
		raws := wireFrames(out)
		if len(raws) != 1 {
			t.Fatalf("%d frames", len(raws))
		}
		fr, err := ParseFrame(raws[0])
		if err != nil || !bytes.Equal(fr.Data, data) {
			t.Fatalf("round trip: %v, %v", fr, err)
		}
	})
}
