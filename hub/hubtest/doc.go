// Package hubtest runs zhub's real hub on the emulated dongle. It is for
// tests only: no production package imports it (test/deps_test.go checks),
// and it imports no front door, so the tests of hub, hub/mqttbridge, mcp
// and ws can all share it.
//
// A Stack is the real thing above an emulated network: the ZNP driver on a
// zigbee/sim dongle, the hub, and, when Config.DBPath is set, a SQLite
// store (hub/store) adapted to hub.Store by hub/hubstore, as in cmd/zhub.
// StartSim and StartStack start the network and the stack apart, so that a
// test can restart the hub on the same network, or the network under the
// same store; Start starts both, with the store in t.TempDir. What these
// start is stopped by t.Cleanup in reverse order, and a failed stop fails
// the test. NewSim and NewStack report errors instead of failing a test and
// leave the stopping to their caller (Close), for use in TestMain.
// OpenStore is the store alone, for tests of what sits on it. AFTrace,
// set as sim.Config.Trace, keeps the AF data requests the host sent, so a
// test can count what went on the air.
//
// Timing: SimConfig makes the emulated network quick, and the stack uses
// short command timeouts and a 50 ms store flush. Every wait (for the
// network, an event, an interview) is bounded by Guard, a hang guard and
// not a timing assertion: a wait that exceeds it fails with a message
// naming what it waited for.
//
// Logs are discarded unless the environment variable ZHUB_TEST_LOG is set;
// then Logger writes them to stderr at debug level.
//
// None of the types here is safe for concurrent use by several goroutines
// (a test drives its stack from one goroutine); the hub itself is.
package hubtest
