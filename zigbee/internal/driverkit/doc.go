// Package driverkit holds what the coordinator drivers zigbee/znp (TI
// Z-Stack) and zigbee/ezsp (Silicon Labs EZSP) share above their protocols:
// the Run loop that reconnects with a doubling delay (Lifecycle), the event
// stream (Events), the loop that serves a session whose network is up
// (Session.Serve) with its backup restores (Restores) and permit-join
// windows (Joining), the transaction bounds (Slots, IDs), the start-up
// matching rule (Differences, Plan, NetworkParams), the backup file
// (BackupFile), the trace file syntax (TraceFormat) and the hand-over of
// unsolicited frames from the link reader to the driver (Mailbox).
//
// Nothing here speaks a serial protocol or knows a firmware; each driver
// keeps its own framing, commands, start-up sequence and session state and
// plugs them in through the small function fields documented on each type.
//
// Concurrency: driverkit starts one goroutine, the mover of a Mailbox (the
// non-blocking hand-over from a link reader to the driver), owned by the
// Mailbox and ended by its Close. Lifecycle.Run and
// Session.Serve run in the caller's goroutine (the driver's Run) and return
// only when everything they called has returned. Events, Restores,
// Joining, Slots and the helpers may be used from any goroutine; IDs is
// guarded by its caller's lock.
//
// Errors: a type that starts an error the driver returns carries the
// driver's name and puts it in front once ("znp: restore: …"), as the
// driver itself would. Pure checks (CheckNetwork, CheckEndpoint,
// NewNetworkParams) return errors without a prefix, for the driver to wrap
// with its own sentinel.
//
// The package is internal to zigbee/: the hub and the front doors see only
// the drivers' zigbee.Coordinator.
package driverkit
