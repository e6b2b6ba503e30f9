// Package llmtest provides fakes for testing code that talks to language
// models: a Server that replays recorded wire-format responses (SSE, NDJSON
// or plain JSON) from files, one per request, and records what the client
// sent.
//
// Fixture files look like an HTTP response without the protocol version:
//
//	HTTP 200
//	Content-Type: text/event-stream
//
//	event: message_start
//	data: {...}
//
// The body is written line by line, each line flushed on its own, so a
// client sees the stream in many reads. A body line that is exactly
// "!stall" flushes and then blocks until the client goes away; "!cut"
// aborts the connection without finishing the response.
//
// Server is safe for concurrent use; its handler goroutines are owned by
// httptest.Server and stopped by Close (registered with t.Cleanup).
package llmtest
