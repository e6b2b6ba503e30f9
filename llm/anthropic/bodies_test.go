package anthropic_test

import (
	"testing"

	"github.com/zhubhq/zhub/llm/anthropic"
	"github.com/zhubhq/zhub/llm/llmtest"
)

// FuzzStream feeds arbitrary bodies (seeded with every fixture, cut short
// and with bytes flipped) through the adapter: nothing panics, a stream
// that succeeds ends with Done, a failure is a *llm.ProviderError, and no
// tool call carries arguments that are not JSON.
func FuzzStream(f *testing.F) {
	llmtest.AddBodySeeds(f, "testdata")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := anthropic.New(anthropic.Config{Model: "m", BaseURL: "http://fuzz.invalid", HTTPClient: llmtest.BodyClient(body), IdleTimeout: -1})
		if err != nil {
			t.Fatal(err)
		}
		llmtest.CheckStream(t, p.Stream(t.Context(), request()))
	})
}
