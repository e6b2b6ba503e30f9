// Package sse reads a text/event-stream body (the WHATWG HTML "Server-sent
// events" format, §9.2.6 "Interpreting an event stream") as the OpenAI and
// Anthropic streaming APIs send it.
//
// Contracts: lines end in CRLF, LF or CR; a leading UTF-8 BOM is skipped;
// lines starting with ":" are comments; "data" lines of one event are joined
// with "\n"; an event is dispatched at a blank line, and one without any
// data line is not dispatched. An event whose data would exceed the
// Reader's limit fails with ErrTooLarge instead of growing without bound.
// At the end of the body a half-received event is dropped, as the standard
// says, and Next returns io.EOF; any other read error is returned as is.
// Only the standard library is used.
package sse
