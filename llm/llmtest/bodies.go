package llmtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhubhq/zhub/llm"
)

// BodyClient returns an http.Client that answers every request with status
// 200, Content-Type text/event-stream and body, without a network.
func BodyClient(body []byte) *http.Client {
	return &http.Client{Transport: bodyTransport(body)}
}

type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// AddBodySeeds adds to f's corpus the body of every *.sse fixture in dir,
// each also cut short and with a byte flipped every 29 bytes, plus a few
// odd bodies of both SSE dialects.
func AddBodySeeds(f *testing.F, dir string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sse"))
	if err != nil || len(files) == 0 {
		f.Fatalf("llmtest: no *.sse fixtures in %s (%v)", dir, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		r, err := ParseResponse(b)
		if err != nil {
			f.Fatalf("llmtest: %s: %v", name, err)
		}
		f.Add(r.Body)
		for cut := 0; cut < len(r.Body); cut += 29 {
			f.Add(r.Body[:cut])
			flipped := bytes.Clone(r.Body)
			flipped[cut] ^= 0x5a
			f.Add(flipped)
		}
	}
	for _, s := range []string{"data: [DONE]\n\n", "event: error\ndata: {}\n\n", "data: null\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", "data: {\"choices\":[{\"finish_reason\":\"stop\"}]}\n\n"} {
		f.Add([]byte(s))
	}
}

// CheckStream ranges over a provider stream built on an arbitrary body and
// fails t unless it ends either with Done as its last event or with a
// *llm.ProviderError, and yields no ToolCall with arguments that are not a
// JSON value.
func CheckStream(t testing.TB, seq iter.Seq2[llm.Event, error]) {
	t.Helper()
	evs, err := Collect(seq)
	for _, ev := range evs {
		if c, ok := ev.(llm.ToolCall); ok && !json.Valid(c.Arguments) {
			t.Fatalf("tool call %q with arguments %q that are not JSON", c.Name, c.Arguments)
		}
	}
	if err != nil {
		if _, ok := errors.AsType[*llm.ProviderError](err); !ok {
			t.Fatalf("error %T %v is not a *llm.ProviderError", err, err)
		}
		return
	}
	if len(evs) == 0 {
		t.Fatal("no error and no events")
	}
	if _, ok := evs[len(evs)-1].(llm.Done); !ok {
		t.Fatalf("last event %#v is not Done", evs[len(evs)-1])
	}
}
