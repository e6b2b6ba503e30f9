package znp

import (
	"bytes"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestSplitEdges covers resynchronisation cases the shared vectors do not:
// candidates cut by the end of the stream, and bad candidates that hide a
// real frame (protocol/znp.md §2.2 rules 2 and 4).
func TestSplitEdges(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		frames  []string
		garbage uint64
		badFCS  uint64
		tooLong uint64
	}{
		{"stream ends inside a candidate hiding a frame", "FE05 FE00210120", []string{"FE00210120"}, 2, 0, 0},
		{"lone SOF at the end", "FE00210120 FE", []string{"FE00210120"}, 1, 0, 0},
		{"LEN above 250 then a frame", "FEFB FE00210120", []string{"FE00210120"}, 2, 0, 1},
		{"bad FCS candidate hides a frame", "FE03 FE00210120 00", []string{"FE00210120"}, 3, 1, 0},
		{"only garbage", "0102EF", nil, 3, 0, 0},
		{"empty", "", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := hex.DecodeString(strings.ReplaceAll(tt.in, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			for _, one := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(in)
				if one {
					r = iotest.OneByteReader(r)
				}
				frames, s := scanAll(t, r)
				if len(frames) != len(tt.frames) {
					t.Fatalf("one-byte=%v: %d frames %X, want %v", one, len(frames), frames, tt.frames)
				}
				for i := range frames {
					if !strings.EqualFold(hex.EncodeToString(frames[i]), tt.frames[i]) {
						t.Errorf("frame %d = %X, want %s", i, frames[i], tt.frames[i])
					}
				}
				if s.Garbage != tt.garbage || s.BadFCS != tt.badFCS || s.TooLong != tt.tooLong {
					t.Errorf("one-byte=%v: counters %+v, want garbage %d bad FCS %d too long %d",
						one, *s, tt.garbage, tt.badFCS, tt.tooLong)
				}
			}
		})
	}
}
