package openai_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhubhq/zhub/llm"
	"github.com/zhubhq/zhub/llm/llmtest"
	"github.com/zhubhq/zhub/llm/openai"
)

// bodyTransport answers every request with status 200 and body.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// TestArbitraryBodies feeds every fixture body, cut at many points and with
// bytes flipped, through the SDK and the adapter: nothing panics, a
// successful stream ends with Done, and a failure is a *llm.ProviderError.
// (A Go fuzz target here would instrument the whole vendor SDK, which takes
// minutes and gigabytes per build; the SSE decoding is the SDK's own.)
func TestArbitraryBodies(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sse")
	var bodies [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := llmtest.ParseResponse(b)
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(r.Body); cut += 29 {
			bodies = append(bodies, r.Body[:cut])
			flipped := bytes.Clone(r.Body)
			flipped[cut] ^= 0x5a
			bodies = append(bodies, flipped)
		}
	}
	bodies = append(bodies, []byte("data: [DONE]\n\n"), []byte("event: error\ndata: {}\n\n"), []byte("data: null\n\n"),
		[]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), []byte("data: {\"choices\":[{\"finish_reason\":\"stop\"}]}\n\n"))
	for _, body := range bodies {
		hc := &http.Client{Transport: bodyTransport(body)}
		p, err := openai.New(openai.Config{Model: "m", BaseURL: "http://fuzz.invalid/v1", HTTPClient: hc, IdleTimeout: -1})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := llmtest.Collect(p.Stream(t.Context(), request()))
		if err != nil {
			if _, ok := errors.AsType[*llm.ProviderError](err); !ok {
				t.Fatalf("%q: error %T %v is not a *llm.ProviderError", body, err, err)
			}
			continue
		}
		if len(evs) == 0 {
			t.Fatalf("%q: no error and no events", body)
		}
		if _, ok := evs[len(evs)-1].(llm.Done); !ok {
			t.Fatalf("%q: last event %#v is not Done", body, evs[len(evs)-1])
		}
	}
}
