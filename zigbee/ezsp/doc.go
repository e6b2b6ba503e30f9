// Package ezsp speaks the EmberZNet Serial Protocol to Silicon Labs NCPs
// (EFR32 dongles such as the SONOFF ZBDongle-E, Home Assistant SkyConnect /
// ZBT-1 and Yellow) over ASH (package zigbee/ezsp/ash).
//
// The package is layered (docs/style.md §2.2):
//
//   - frame.go: EZSP frames with the legacy (v4 and the first version
//     command), v5–v7 and extended (v8+) headers. Pure functions.
//   - fields.go, commands.go: the command table as data: every frame id a
//     coordinator needs with its parameter layouts per protocol version
//     (v13 and v14+ differ in status widths and positions, message tags,
//     packet info, security-manager results; older layouts are kept for
//     decoding traces). Decode and EncodeParams turn parameters into
//     Params and back byte for byte.
//   - trace.go: DecodeTrace for `zhub debug decode --proto ezsp`.
//
// Reference: shared/protocol/ezsp.md and the vectors in
// shared/protocol/vectors/ezsp. The framing and command tables are shared
// with the emulated NCP in zigbee/sim, which encodes its answers with them;
// the shared vectors and the zigbee-herdsman interop run are the
// independent check.
package ezsp
