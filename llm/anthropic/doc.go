// Package anthropic is the llm.Provider for Anthropic's Messages API and any
// server that speaks it (such as Ollama's /v1/messages, with BaseURL). It
// speaks the wire format of interfaces.md §D.3 with the standard library
// (docs/decisions/0004: the vendor SDK alone doubled the binary and the idle
// memory).
//
// Contracts:
//   - The key comes from Config only and is sent as x-api-key (AuthToken, an
//     OAuth token, as a bearer); ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and
//     the like are never read.
//   - No sampling parameters are sent: the API version sent by default
//     (anthropic-version 2026-10-21, Config.Version) rejects temperature,
//     top_p and top_k with HTTP 400 (interfaces.md §D.3).
//   - Consecutive tool messages become one user turn of tool_result blocks,
//     in order, with is_error set for failed calls; same-role neighbours are
//     merged because the API requires alternating turns.
//   - Events are told apart by the type key of their data, so a stream whose
//     "event:" lines a proxy dropped still works; pings and unknown events
//     are skipped.
//   - text_delta pieces are yielded as they arrive; input_json_delta pieces
//     are joined per content block and the tool calls are yielded in block
//     order once message_stop arrived. A stream without message_stop, an
//     "error" event, undecodable JSON, an event over 4 MiB or a tool input
//     that is not JSON ends with a *llm.ProviderError.
//   - IdleTimeout (default 60s) bounds the wait for the first byte and
//     between events (pings count as activity).
//   - Requests are never retried. Provider is safe for concurrent use.
package anthropic
