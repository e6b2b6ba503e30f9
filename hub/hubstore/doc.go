// Package hubstore adapts the SQLite store (hub/store) to hub.Store, the
// persistence the hub declares and consumes. The hub may not import
// hub/store (test/deps_test.go), and a main package cannot be imported, so
// the adapter lives here, where cmd/zhub and the tests (hub/hubtest) both
// use the same one. Only they import it: front doors go through the hub.
//
// Store holds nothing but the *store.Store, which its caller opened and
// closes; it is safe for concurrent use, as the store is.
//
// Writes: SaveDevices and SaveStates queue up to 64 writes at once, so the
// store's single writer commits many of them in one transaction (one
// fsync) instead of one each. They are not atomic: they return the first
// error, and writes committed before it stay. DeleteDevice of a device the
// store does not hold returns nil, as hub.Store requires. Store also
// implements hub.GroupStore: SaveGroups is one store write of the whole
// set of groups (store.ReplaceGroups), and skips members whose device the
// store does not hold without an error, as hub.GroupStore requires.
//
// Errors come from the store unchanged (they start with "store:"), except
// that LoadDevices fails naming the row when a stored IEEE address does
// not parse.
package hubstore
