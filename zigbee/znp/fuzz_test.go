package znp

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
	"testing/iotest"
)

// vectorSeeds returns the bytes of every vector (frames, invalid frames and
// streams with the read boundaries removed).
func vectorSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, v := range loadVectors(t) {
		seeds = append(seeds, v.bytes(t))
	}
	return seeds
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ParseFrame(data)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FrameError", err)
			}
			return
		}
		b, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatalf("AppendFrame: %v", err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("re-encoded %X, parsed %X", b, data)
		}
	})
}

func FuzzSplit(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add(s)
	}
	f.Add(bytes.Repeat([]byte{SOF}, 300))
	f.Add([]byte{SOF, 0x05, SOF, 0x00, 0x21, 0x01, 0x20})
	f.Fuzz(func(t *testing.T, data []byte) {
		scan := func(r *bufio.Scanner, s *Splitter) [][]byte {
			r.Split(s.Split)
			var out [][]byte
			for r.Scan() {
				out = append(out, bytes.Clone(r.Bytes()))
			}
			if err := r.Err(); err != nil {
				t.Fatalf("scanner: %v", err)
			}
			return out
		}
		var whole, bytewise Splitter
		a := scan(bufio.NewScanner(bytes.NewReader(data)), &whole)
		b := scan(bufio.NewScanner(iotest.OneByteReader(bytes.NewReader(data))), &bytewise)
		if len(a) != len(b) || whole != bytewise {
			t.Fatalf("one read: %d frames %+v; byte by byte: %d frames %+v", len(a), whole, len(b), bytewise)
		}
		used := 0
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("frame %d: %X vs %X", i, a[i], b[i])
			}
			if _, err := ParseFrame(a[i]); err != nil {
				t.Fatalf("frame %d %X: %v", i, a[i], err)
			}
			used += len(a[i])
		}
		if uint64(used)+whole.Garbage != uint64(len(data)) {
			t.Fatalf("%d bytes in frames + %d garbage != %d", used, whole.Garbage, len(data))
		}
	})
}

// FuzzDecode feeds CMD0, CMD1 and a payload to Decode. A successful decode
// must re-encode to the same payload.
func FuzzDecode(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		if fr, err := ParseFrame(s); err == nil {
			f.Add(append([]byte{fr.Cmd0(), fr.ID}, fr.Payload...))
		}
	}
	// Every schema of every command, empty and with a few bytes.
	for _, c := range Commands() {
		for _, t := range []Type{SREQ, AREQ, SRSP} {
			if _, ok := c.Schema(t); ok {
				h := Header{Type: t, Subsystem: c.Subsystem, ID: c.ID}
				f.Add([]byte{h.Cmd0(), h.ID})
				f.Add([]byte{h.Cmd0(), h.ID, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data)-2 > MaxPayload {
			return
		}
		fr := Frame{Header: HeaderFromCmd(data[0], data[1]), Payload: data[2:]}
		c, p, err := Decode(fr)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *PayloadError: %v", err, err)
			}
			return
		}
		re, err := c.Encode(fr.Type, p)
		if err != nil {
			t.Fatalf("%s: re-encode %v: %v", c.Name, p, err)
		}
		if re.Header != fr.Header || !bytes.Equal(re.Payload, fr.Payload) {
			t.Fatalf("%s: re-encoded %v, decoded %v", c.Name, re, fr)
		}
		if _, err := FormatFrame(fr); err != nil {
			t.Fatalf("FormatFrame: %v", err)
		}
	})
}
