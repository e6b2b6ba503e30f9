// Package openai is the llm.Provider for OpenAI's Chat Completions API and
// every server that speaks it (llama.cpp server, vLLM, LM Studio, Ollama's
// /v1, OpenRouter). It speaks the wire format of interfaces.md §D.1 with the
// standard library (docs/decisions/0004: the vendor SDK alone doubled the
// binary and the idle memory).
//
// Contracts:
//   - The API key comes from Config only; OPENAI_API_KEY, OPENAI_BASE_URL
//     and the like are never read, so a key meant for api.openai.com is not
//     sent to a local server by accident.
//   - Requests stream (stream_options.include_usage) and are never retried.
//   - Tool-call fragments are joined per index; the calls are yielded in
//     index order after the model's finish_reason, never half-assembled.
//   - A stream that ends without a finish_reason, a "data:" line with an
//     "error" key, undecodable JSON, an event over 4 MiB or tool-call
//     arguments that are not JSON end the sequence with a
//     *llm.ProviderError; nothing is yielded after it.
//   - IdleTimeout (default 60s) bounds the wait for the first byte and
//     between events: a stalled server becomes llm.ErrTimeout.
//   - Provider is safe for concurrent use.
package openai
