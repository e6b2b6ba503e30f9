// Package ws is zhub's HTTP server: it owns the mux, serves GET /health, and
// (in later steps) the WebSocket chat gateway at /ws and the embedded web UI.
//
// Lifecycle: New validates the configuration without I/O; Listen binds the
// address so the daemon can fail fast when the port is taken; Run serves
// until its context is cancelled and then shuts down gracefully within the
// shutdown timeout. Handlers run with the daemon's context as their base
// context.
package ws
