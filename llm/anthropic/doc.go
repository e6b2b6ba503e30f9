// Package anthropic is the llm.Provider for Anthropic's Messages API
// through github.com/anthropics/anthropic-sdk-go/v2 (any server that speaks
// it, such as Ollama's /v1/messages, works with BaseURL).
//
// Contracts:
//   - The key comes from Config only and is sent as x-api-key (AuthToken, an
//     OAuth token, as a bearer); the SDK's ANTHROPIC_* environment defaults
//     are never read.
//   - No sampling parameters are sent: the API version the v2 SDK sends
//     (anthropic-version 2026-10-21) rejects temperature, top_p and top_k
//     with HTTP 400 (interfaces.md §D.3).
//   - Consecutive tool messages become one user turn of tool_result blocks,
//     in order, with is_error set for failed calls; same-role neighbours are
//     merged because the API requires alternating turns.
//   - text_delta pieces are yielded as they arrive; input_json_delta pieces
//     are joined per content block and the tool calls are yielded in block
//     order once message_stop arrived. A stream without message_stop, an
//     `event: error` or undecodable JSON ends with a *llm.ProviderError.
//   - IdleTimeout (default 60s) bounds the wait for the first byte and
//     between events (pings count as activity only through the bytes they
//     carry, which the SDK reads).
//   - Requests are never retried. Provider is safe for concurrent use.
package anthropic
