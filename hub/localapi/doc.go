// Package localapi is the daemon's local API: HTTP with JSON bodies on a
// unix socket (<data_dir>/zhub.sock, mode 0660), and its Go client, which
// the zhub CLI uses. Access control is the socket's file permission: the
// daemon's user and group may do everything; network clients use the
// token-protected HTTP server (package ws) instead.
//
// Endpoints live under Prefix (/localapi/v0/), one table in server.go
// maps "METHOD name" to its handler. Requests and answers are the types in
// wire.go, which are also the CLI's --json output (documented in
// docs/cli.md). Failures are a non-2xx status with an ErrorBody carrying a
// stable Code and, for unknown devices, groups and properties, a "did you
// mean" Suggestion. Streams (events, pair, logs, chat) are NDJSON, one
// value per line, flushed per line.
//
// Lifecycle: New validates without I/O; Listen binds the socket (the
// daemon calls it before the slow parts start, so a CLI sees "starting"
// rather than "connection refused"); Run serves until its context is
// cancelled, ends the streams, and removes the socket. The hub, the token
// service and the chat service are attached later with SetHub, SetTokens
// and SetChat; until the hub is attached every endpoint except status and
// version answers 503 with code "starting", and chat answers 503
// "unavailable" while no chat service is attached. Mount adds other
// handlers (the MCP Streamable HTTP endpoint) to the same socket.
//
// A pair stream opens permit join and closes it again when it ends,
// whatever ends it: the requested count reached, the window over, the
// client gone (Ctrl-C, a dropped SSH session) or the daemon stopping.
//
// Event streams never slow the hub: each has its own subscription, and a
// stream that falls behind loses events and is told so with a "dropped"
// event. The log ring (LogRing) likewise drops records for a slow
// follower. Nothing here logs secrets: token secrets appear only in the
// answer to the request that created them.
//
// The Client works as a zero value (it finds the socket with
// DefaultSocket); tests may set Socket or Dial. Connection failures are
// *ConnectError values matching ErrNotRunning or ErrPermission; daemon
// refusals are *APIError values.
package localapi
