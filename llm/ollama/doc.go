// Package ollama is the llm.Provider for Ollama's native chat API
// (POST /api/chat, NDJSON streaming), for a small model on the Pi or on a
// machine next to it. It uses only the standard library.
//
// Contracts:
//   - Options the native API adds over the OpenAI-compatible one are
//     explicit: num_ctx (set it: a too small default silently truncates the
//     prompt), keep_alive and think (false unless configured).
//   - Tool calls arrive complete (arguments are a JSON object, not
//     fragments); they are yielded in order after the final "done" line, so
//     a stream that fails midway yields none. Calls without an id get
//     "ollama_<n>".
//   - Tool results are sent as {"role":"tool","tool_name","tool_call_id",
//     "content"}; failed calls get an "error: " prefix (no is_error field).
//   - A non-2xx status, an {"error":...} line, a line that is not JSON or a
//     stream that ends without "done" end the sequence with a
//     *llm.ProviderError. Lines longer than MaxLine are malformed.
//   - IdleTimeout (default 120s: a cold model load on a Pi is slow) bounds
//     the wait for the first byte and between lines.
//   - Requests are never retried. Provider is safe for concurrent use.
package ollama
