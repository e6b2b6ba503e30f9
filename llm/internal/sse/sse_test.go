package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type got struct{ typ, data, id string }

func readAll(r io.Reader, max int) ([]got, error) {
	s := NewReader(r, max)
	var out []got
	for {
		ev, err := s.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, got{ev.Type, string(ev.Data), ev.ID})
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{"openai style", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []got{{"", `{"a":1}`, ""}, {"", "[DONE]", ""}}},
		{"anthropic style", "event: ping\ndata: {\"type\":\"ping\"}\n\n", []got{{"ping", `{"type":"ping"}`, ""}}},
		{"CRLF and CR line ends", "event: x\r\ndata: 1\r\n\r\ndata: 2\r\rdata: 3\n\n", []got{{"x", "1", ""}, {"", "2", ""}, {"", "3", ""}}},
		{"multi-line data joined with LF", "data: a\ndata:b\ndata\n\n", []got{{"", "a\nb\n", ""}}},
		{"only the first space is removed", "data:  two\n\n", []got{{"", " two", ""}}},
		{"comments and unknown fields ignored", ": keep-alive\nretry: 10\nfoo: bar\ndata: x\n\n", []got{{"", "x", ""}}},
		{"event without data is not dispatched", "event: lonely\n\ndata: y\n\n", []got{{"", "y", ""}}},
		{"id persists", "id: 7\ndata: a\n\ndata: b\n\n", []got{{"", "a", "7"}, {"", "b", "7"}}},
		{"BOM skipped once", "\xEF\xBB\xBFdata: a\n\n", []got{{"", "a", ""}}},
		{"half event at EOF dropped", "data: a\n\ndata: b\n", []got{{"", "a", ""}}},
		{"empty data line still dispatches", "data\n\n", []got{{"", "", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "one byte"} {
				var r io.Reader = strings.NewReader(tt.in)
				if mode == "one byte" {
					r = iotest.OneByteReader(r)
				}
				evs, err := readAll(r, 0)
				if err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
				if len(evs) != len(tt.want) {
					t.Fatalf("%s: events %q, want %q", mode, evs, tt.want)
				}
				for i := range evs {
					if evs[i] != tt.want[i] {
						t.Errorf("%s: event %d = %q, want %q", mode, i, evs[i], tt.want[i])
					}
				}
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"many data lines", strings.Repeat("data: 0123456789\n", 20) + "\n"},
		{"one long line", "data: " + strings.Repeat("x", 500) + "\n\n"},
		{"long line without a terminator", strings.Repeat("y", 10_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := readAll(strings.NewReader(tt.in), 100); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		})
	}
	if evs, err := readAll(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 100); err != nil || len(evs) != 1 {
		t.Fatalf("exactly the limit: %v, %v", evs, err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom))
	evs, err := readAll(r, 0)
	if !errors.Is(err, boom) || len(evs) != 1 {
		t.Fatalf("events %q err %v; want one event and the read error", evs, err)
	}
}

// FuzzReader: nothing panics, no event exceeds the limit, and reading one
// byte at a time gives the same events as reading the whole body.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {}\n\n",
		"\xEF\xBB\xBFid: 1\r\ndata: x\r\n\r\n",
		": c\rdata:y\r\r",
		"data: a\ndata: b\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 256
		whole, err1 := readAll(bytes.NewReader(in), max)
		bytewise, err2 := readAll(iotest.OneByteReader(bytes.NewReader(in)), max)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("errors differ: %v vs %v", err1, err2)
		}
		if len(whole) != len(bytewise) {
			t.Fatalf("%d events vs %d", len(whole), len(bytewise))
		}
		for i := range whole {
			if whole[i] != bytewise[i] {
				t.Fatalf("event %d differs: %q vs %q", i, whole[i], bytewise[i])
			}
			if len(whole[i].data) > max {
				t.Fatalf("event %d has %d bytes, over the limit", i, len(whole[i].data))
			}
		}
	})
}
