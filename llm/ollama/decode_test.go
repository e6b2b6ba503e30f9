package ollama

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
)

func collect(r io.Reader) ([]llm.Event, error) {
	return llmtest.Collect(decode(r, func() {}))
}

func fixtureBodies(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.ndjson")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := llmtest.ParseResponse(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.Body)
	}
	return out
}

func TestDecodeOneByteAtATime(t *testing.T) {
	for _, body := range fixtureBodies(t) {
		if bytes.Contains(body, []byte("!stall")) || bytes.Contains(body, []byte("!cut")) {
			continue
		}
		want, wantErr := collect(bytes.NewReader(body))
		got, gotErr := collect(iotest.OneByteReader(bytes.NewReader(body)))
		if len(got) != len(want) || (wantErr == nil) != (gotErr == nil) {
			t.Errorf("one byte at a time: %d events, err %v; whole: %d events, err %v", len(got), gotErr, len(want), wantErr)
		}
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		lines []string
		err   error
	}{
		{"plain", "a\nbb\n", 10, []string{"a", "bb"}, io.EOF},
		{"crlf", "a\r\nb\r\n", 10, []string{"a", "b"}, io.EOF},
		{"last line without newline", "a\nb", 10, []string{"a", "b"}, io.EOF},
		{"empty lines kept", "\n\na\n", 10, []string{"", "", "a"}, io.EOF},
		{"too long", "aaaaaaaaaaaaaaaaaaaa\n", 8, nil, errLineTooLong},
		{"longer than the bufio buffer", strings.Repeat("x", 100<<10) + "\n", 200 << 10, []string{strings.Repeat("x", 100<<10)}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tt.in), tt.max)
			var got []string
			var err error
			for {
				var l []byte
				l, err = lr.next()
				if err != nil {
					break
				}
				got = append(got, string(l))
			}
			if !errors.Is(err, tt.err) || strings.Join(got, "|") != strings.Join(tt.lines, "|") {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.lines, tt.err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range fixtureBodies(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"message":{"tool_calls":[{"function":{"name":"x","arguments":"{\"a\":1}"}}]},"done":true}`))
	f.Add([]byte(`{"message":{"tool_calls":[{"function":{"name":"x","arguments":[1]}}]},"done":true}`))
	f.Add([]byte(`{"error":{"message":"boom"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := collect(bytes.NewReader(body))
		if err == nil {
			if len(evs) == 0 {
				t.Fatal("no error and no events")
			}
			if _, ok := evs[len(evs)-1].(llm.Done); !ok {
				t.Fatalf("a successful stream must end with Done, got %#v", evs[len(evs)-1])
			}
		}
		for _, ev := range evs {
			if tc, ok := ev.(llm.ToolCall); ok && (tc.Name == "" || tc.ID == "" || len(tc.Arguments) == 0 || tc.Arguments[0] != '{') {
				t.Fatalf("bad tool call %#v", tc)
			}
		}
	})
}
