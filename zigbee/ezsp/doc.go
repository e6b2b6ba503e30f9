// Package ezsp speaks the EmberZNet Serial Protocol to Silicon Labs NCPs
// (EFR32 dongles such as the SONOFF ZBDongle-E, Home Assistant SkyConnect /
// ZBT-1 and Yellow) over ASH (package zigbee/ezsp/ash), and implements
// zigbee.Coordinator on top (Driver) for EZSP v13 (EmberZNet 7.4) and newer.
//
// The package is layered (docs/style.md §2.2):
//
//   - frame.go: EZSP frames with the legacy (v4 and the first version
//     command), v5–v7 and extended (v8+) headers. Pure functions.
//   - fields.go, commands.go, status.go: the command table as data: every
//     frame id a coordinator needs with its parameter layouts per protocol
//     version (v13 and v14+ differ in status widths and positions, message
//     tags, packet info, security-manager results; older layouts are kept
//     for decoding traces). Decode and EncodeParams turn parameters into
//     Params and back byte for byte.
//   - trace.go: DecodeTrace for `zhub debug decode --proto ezsp`.
//   - conn.go: Conn, one command in flight on a connected ash.Link,
//     responses matched by sequence number and frame id, callbacks told
//     apart by the frame-control bit and delivered in order, the version
//     handshake (v4 first, then the NCP's own; older than v13 is refused
//     with "firmware too old").
//   - driver*.go, backup.go: Driver. Run owns every goroutine it starts
//     (one session per link: a callback dispatcher and an event emitter)
//     and waits for them; the other methods may be called from any
//     goroutine. Callbacks that answer a request (messageSentHandler, ZDO
//     responses, stack status) go to waiters registered before the request
//     is sent; the rest become events, queued so that a slow event consumer
//     never stalls confirmations. The reconnecting Run loop, the event
//     stream, the serve loop with restores and permit-join renewal and the
//     backup file come from zigbee/internal/driverkit, shared with
//     zigbee/znp.
//
// Reference: shared/protocol/ezsp.md and the vectors in
// shared/protocol/vectors/ezsp. The framing and command tables are shared
// with the emulated NCP in zigbee/sim; the shared vectors and the
// zigbee-herdsman interop run (test/interop) are the independent check.
package ezsp
