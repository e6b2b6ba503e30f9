// Package mcp is zhub's device context: the hub's devices published as a
// Model Context Protocol server (github.com/modelcontextprotocol/go-sdk), so
// the built-in chat, desktop assistants and IDEs control the home through
// the same validated tools and are held to the same household rules.
//
// # What it serves
//
// Tools (JSON Schema in, structured results out): list_devices,
// get_device, set_device, get_history, list_rooms and set_device_context;
// list_groups and set_group while the hub has a group an assistant may
// see (they come and go with tools/list_changed);
// the guarded tools permit_join, rename_device and remove_device exist only
// when Config.GuardedTools names them (otherwise they are not listed and a
// call is an unknown tool), and each asks for confirm: true before it acts.
// Resources: zhub://devices (every device) and zhub://devices/{name} (one
// device, by friendly name or IEEE address), subscribable: a state or
// availability change sends notifications/resources/updated (debounced by
// Config.Debounce, so a chatty sensor does not flood clients), a device
// joining, leaving, being renamed or a context change sends
// notifications/resources/list_changed and, because the tool descriptions
// name the devices, notifications/tools/list_changed.
//
// # Device context and rules
//
// Each device may have a room, aliases ("the lamp by the sofa"), notes and
// Rules (see Rules and Access), persisted through ContextStore and keyed by
// IEEE address so a rename keeps them. Tool descriptions and SystemPrompt are
// built from it, so models resolve names the way the household speaks; tools
// accept a friendly name, an alias or an IEEE address. Rules are enforced
// inside the tool handlers, never by the client: a hidden device does not
// exist for assistants, a read-only one can be read but not changed, a
// "confirm" device needs confirm: true, and a deny entry ("state=UNLOCK")
// refuses that change. set_group applies every member's rules and refuses
// the whole call, sending nothing, when one member's rules refuse it (a
// groupcast cannot leave a member out); a group with a hidden member is
// hidden. Assistants may edit rooms, aliases and notes
// (set_device_context) but never rules: rules change only through the local
// API (ContextHandler, used by `zhub device context`) and the web UI.
//
// # Errors
//
// Two channels, as the protocol wants (2025-11-25, SEP-1303): an unknown
// tool (including a guarded tool that is off) is a JSON-RPC error -32602;
// arguments that fail the tool's input schema, unknown devices, refusals by
// the rules, hub validation errors and devices that do not answer are tool
// results with isError set and a sentence a model can act on. An unknown
// resource is a JSON-RPC error (-32602 since 2026-07-28, see
// sdk.ResourceNotFoundError).
//
// # Transports
//
// Connect returns an in-memory client session (the chat loop's). Handler
// serves Streamable HTTP for the daemon's /mcp: Origin validation (403),
// bearer tokens (401 with WWW-Authenticate), then requests at protocol
// 2026-07-28 go to a stateless handler and the others (initialize,
// 2025-11-25) to a stateful one that issues Mcp-Session-Id; sessions are
// bound to the token that created them and end when it is revoked.
// LocalHandler serves the same on the daemon's unix socket without tokens
// (the socket's permissions are the access control), plus the stdio
// upgrade that `zhub mcp` uses (see Bridge); ContextHandler serves the
// owner's context API there.
//
// # Lifecycle and concurrency
//
// New validates and builds the tool set without I/O. Run loads the device
// context, follows the hub's events and returns nil when its context ends;
// its one goroutine owns the debounce timer. All methods are safe for
// concurrent use; tool handlers run on the SDK's goroutines. Nothing here
// logs tokens, and SystemPrompt never includes secrets.
package mcp
