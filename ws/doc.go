// Package ws is zhub's HTTP server: it owns the mux and GET /health, and
// (through a Gateway mounted on it) the WebSocket chat gateway at /ws and
// the embedded web UI at /. The wire protocol is docs/websocket.md.
//
// Lifecycle: New and NewGateway validate their configuration without I/O;
// Server.Listen binds the address so the daemon can fail fast when the
// port is taken; Server.Run serves until its context is cancelled and then
// shuts down within the shutdown timeout; Gateway.Run, run beside it, fans
// hub events out to subscribed clients and, when its context is cancelled,
// closes every connection with 1001 and waits for their goroutines.
//
// Authentication happens before the WebSocket upgrade: a token from
// Authorization: Bearer, ?token= or the HttpOnly SameSite=Strict session
// cookie that GET /?token= sets, checked by the Tokens interface (hub/auth
// in zhub); the Origin header must be this server's or an allowed one.
// Refusals are plain HTTP 401/403. No secret is ever logged; logs name the
// client by its token's name. Revoking a token closes its connections with
// CloseTokenRevoked.
//
// Connections: one reader (the HTTP handler's goroutine) and one writer
// per connection; two bounded queues (responses, with back-pressure;
// subscription events, never waited on) so that a client that does not
// read is dropped with CloseSlowClient and never blocks the hub or other
// clients. Ping/pong keeps connections alive and a read deadline drops
// dead ones; messages over MaxMessageSize close with 1009. Each request
// runs on its own goroutine under a per-request timeout, at most
// MaxRequests per connection; every request gets exactly one terminal
// response (complete or error with a machine-readable code), and the
// messages of one request are delivered in order.
//
// The gateway consumes small interfaces declared here: Hub (the hub's
// queries, actions and event bus), Tokens and Chat. It never imports a
// driver, the store or another front door.
package ws
