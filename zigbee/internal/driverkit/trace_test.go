package driverkit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hexFrames is a Frames that renders each byte, and fails on 0xEE.
func hexFrames(b []byte) ([]string, error) {
	var out []string
	for _, c := range b {
		if c == 0xEE {
			return nil, errors.New("bad byte")
		}
		out = append(out, fmt.Sprintf("B %02X", c))
	}
	return out, nil
}

func TestTraceFormatDecode(t *testing.T) {
	tests := []struct {
		name  string
		timed bool
		in    string
		want  string
	}{
		{"comments, gaps and blank lines", false, "# capture\n\n---\n  # indented\n", "# capture\n---\n# indented\n"},
		{"directions", false, "> 01\n< 02 03\n", "> B 01\n< B 02\n< B 03\n"},
		{"hex with spaces", false, "> 0 1 0 2\n", "> B 01\n> B 02\n"},
		{"timestamp", false, "1764080000123456 < 0A\n", "2025-11-25T14:13:20.123456Z < B 0A\n"},
		{"timed comment", true, "1764080000123456 # note > x\n", "2025-11-25T14:13:20.123456Z # note > x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f := TraceFormat{Name: "test", TimedComments: tt.timed, Frames: hexFrames}
			if err := f.Decode(strings.NewReader(tt.in), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestTraceFormatErrors(t *testing.T) {
	tests := []struct {
		name  string
		timed bool
		in    string
		want  string
	}{
		{"no direction", false, "0102\n", "test: trace line 1: want"},
		{"bad timestamp", false, "# x\n12x > 01\n", "test: trace line 2: bad timestamp"},
		{"timed comment not accepted", false, "1764080000123456 # no > 01\n", "test: trace line 1: bad timestamp"},
		{"timed comment without marks", false, "1764080000123456 # note\n", "test: trace line 1: want"},
		{"bad hex", false, "> 0G\n", "test: trace line 1: bad hex"},
		{"odd hex", false, "\n> 012\n", "test: trace line 2: bad hex"},
		{"no bytes", false, ">\n", "test: trace line 1: no bytes after"},
		{"frames fail", false, "> 01\n> EE\n", "test: trace line 2: bad byte"},
		{"line too long", false, "> " + strings.Repeat("00", 1<<20) + "\n", "test: trace line 1: bufio.Scanner: token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := TraceFormat{Name: "test", TimedComments: tt.timed, Frames: hexFrames}
			err := f.Decode(strings.NewReader(tt.in), &bytes.Buffer{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want %q…", err, tt.want)
			}
		})
	}
}

// FuzzTraceFormat checks that no line makes Decode panic, and that Frames
// only ever sees the bytes of a well-formed line.
func FuzzTraceFormat(f *testing.F) {
	for _, s := range []string{"> 01", "1764080000123456 # x", "1 <", "#", "---", "< 0 1", ">\t0102"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, timed bool) {
		tf := TraceFormat{Name: "fuzz", TimedComments: timed, Frames: func(b []byte) ([]string, error) {
			if len(b) == 0 {
				t.Fatalf("Frames called with no bytes for %q", in)
			}
			return []string{hex.EncodeToString(b)}, nil
		}}
		_ = tf.Decode(strings.NewReader(in), &bytes.Buffer{})
	})
}
