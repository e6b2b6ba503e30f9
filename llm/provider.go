package llm

import (
	"context"
	"iter"
)

// Provider is a language model behind some API. See the package
// documentation for the stream contract.
type Provider interface {
	// Name is a short stable id ("openai", "anthropic", "ollama", "rules")
	// used in errors, logs and usage chunks.
	Name() string
	// Stream sends req and yields the answer as it arrives.
	Stream(ctx context.Context, req Request) iter.Seq2[Event, error]
}
