// Package znp speaks TI Z-Stack's Monitor and Test (MT) protocol over UNPI
// framing, as used by CC2531, CC2652 and CC1352 coordinators running Z-Stack
// ZNP firmware.
//
// The package is layered (see docs/style.md §2.2):
//
//   - frame.go, split.go: UNPI frames (SOF, LEN, CMD0, CMD1, DATA, FCS) and a
//     bufio.SplitFunc that resynchronises after garbage. Pure functions.
//   - commands*.go: typed MT commands, described as data, with payload codecs.
//   - conn.go: one reader goroutine, one SREQ in flight, SRSP correlation and
//     AREQ waiters.
//   - driver.go: the zigbee.Coordinator implementation (form/resume network,
//     permit join, data requests with confirmation, backup/restore). What
//     it shares with zigbee/ezsp above the protocol (the reconnecting Run
//     loop, the event stream, the serve loop with restores and permit-join
//     renewal, the backup file) comes from zigbee/internal/driverkit.
//
// The framing and command codecs are shared with the emulated dongle in
// zigbee/sim; the connection and driver state machines are not.
//
// Reference: shared/protocol/znp.md and the vectors in
// shared/protocol/vectors/znp.
package znp
