// Package mcpstore adapts the SQLite store (hub/store) to
// mcp.ContextStore, where the device context (rooms, aliases, notes and
// assistant rules) persists. Package mcp declares the interface and does
// not import hub/store (test/deps_test.go); the adapter lives here so that
// cmd/zhub and mcp's tests use the same one. Only they import it.
//
// Store holds nothing but the *store.Store, which its caller opened and
// closes; it is safe for concurrent use, as the store is.
//
// The rules travel as a JSON object (mcp.Rules marshalled), which the
// store keeps verbatim. A stored context of a device the store no longer
// holds cannot exist: the store deletes it with the device. DeleteContext
// of a device without a context returns nil, as mcp.ContextStore requires.
//
// Errors come from the store unchanged (they start with "store:"), except
// that LoadContexts fails naming the row when a stored IEEE address or
// rules object does not parse.
package mcpstore
