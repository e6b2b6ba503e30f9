// Package llm is zhub's chat core: the Provider contract every language-model
// adapter implements, the message, tool and event types they share, and the
// tool loop (Loop) that turns a chat request into tool calls and a streamed
// answer.
//
// The package imports only the standard library, and so do the adapters, each
// in its own sub-package: llm/openai (Chat Completions, any OpenAI-compatible
// server), llm/anthropic (Messages API), llm/ollama (native /api/chat) and
// llm/rules (the offline default: a deterministic English grammar, no
// network). The tools come from the caller through the small ToolSet
// interface; in zhub that is the MCP device context reached through the
// in-memory transport, so the chat sees exactly the MCP tool list.
//
// # Provider contract
//
// Provider.Stream returns an iter.Seq2[Event, error]. Ranging over it sends
// the request and yields, in wire order: TextDelta events as text arrives,
// one ToolCall per call once its arguments are complete (fragments are
// assembled by the adapter), at most one Usage, and finally one Done. A
// failure is yielded once as (nil, err) and ends the sequence; err is a
// *ProviderError (errors.Is with ErrAuth, ErrRateLimit, ...) or, when the
// caller cancelled ctx, ctx's error unchanged: cancellation is not a failure.
// Breaking out of the range loop cancels the HTTP request and releases the
// connection. A sequence is single-use; call Stream again for a new request.
// Adapters never retry and never log secrets.
//
// # Loop contract
//
// Loop.Run calls the provider, streams text deltas to emit as they arrive,
// executes the tool calls of a turn only after that turn's stream ended
// cleanly (a stream that fails midway leaves no half-applied tool calls), one
// at a time in the order the model gave them, each under PerToolTimeout, and
// sends the results back as RoleTool messages until the model answers without
// tool calls. Tool failures, unknown or disallowed tools and invalid
// arguments go back to the model as error results; they never end the run.
// The whole run is bounded by RequestTimeout and MaxIterations. emit is called
// from Run's goroutine only, never concurrently; an error from emit stops the
// run. Run returns the messages it added to the conversation (assistant and
// tool turns), also when it fails, so a caller can persist what happened.
//
// # Chunks
//
// A Chunk carries text, a metadata object (its "type" key names it:
// "tool_call", "tool_result", "device_state", "usage", "image") or an image.
// A tool reports the state a device confirmed by returning
// ToolResult.Metadata; the loop emits it as a "device_state" metadata chunk
// with a human summary ("kitchen_light → brightness 76"). A tool that returns
// ToolResult.Chart gets an SVG line chart (ChartSVG) emitted as an image
// chunk beside the text.
//
// # Plugging in the MCP device context
//
// An MCP client session (the go-sdk in-memory transport) becomes a ToolSet
// with two small methods: List maps tools/list to Tool{Name, Description,
// InputSchema} unchanged, so the model sees exactly the MCP tool list; Call
// sends tools/call and maps the result: text content to Text,
// structuredContent to Structured, isError to IsError, image content to
// Images; a JSON-RPC error (unknown tool, invalid params) is returned as an
// error, which the loop hands to the model as an error result. For
// set_device put the confirmed state in Metadata ({"device": name,
// "state": {...}, "confirmed": true}); for get_history fill Chart from the
// returned points. Policy (which tools exist, argument validation, guarded
// tools) stays in the MCP server; Config.Allow can only narrow it further.
//
// # History
//
// TrimHistory keeps a stored conversation within a size budget without
// splitting a tool call from its result; persisting it is the caller's job.
package llm
