package llmtest

import (
	"bytes"
	"strconv"
	"testing"
)

func TestParseResponse(t *testing.T) {
	r, err := ParseResponse([]byte("HTTP 429\nRetry-After: 7\nContent-Type: application/json\n\n{\"error\":{}}\n"))
	if err != nil || r.Status != 429 || r.Header.Get("Retry-After") != "7" || string(r.Body) != "{\"error\":{}}\n" {
		t.Errorf("got %+v, %v", r, err)
	}
	for _, bad := range []string{"", "HTTP x\n\n", "200 OK\n\n", "HTTP 200\nno colon\n\nbody"} {
		if _, err := ParseResponse([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP 200\nContent-Type: text/event-stream\n\ndata: {}\n\n"))
	f.Add([]byte("HTTP 500\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, []byte("HTTP "+strconv.Itoa(r.Status))) && !bytes.HasPrefix(b, []byte("HTTP ")) {
			t.Fatalf("parsed %q without its status line", b)
		}
		if len(r.Body) > len(b) {
			t.Fatal("body longer than input")
		}
	})
}
