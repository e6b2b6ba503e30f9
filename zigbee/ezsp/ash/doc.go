// Package ash implements ASH, the Asynchronous Serial Host protocol that
// carries EZSP frames between a host and a Silicon Labs EmberZNet NCP over a
// UART (shared/protocol/ezsp.md §2–§4).
//
// The package has two layers:
//
//   - frame.go, split.go: the frame codec. AppendFrame and ParseFrame turn
//     a Frame (DATA, ACK, NAK, RST, RSTACK, ERROR) into the stuffed,
//     CRC-protected bytes on the line and back; data fields of DATA frames
//     are randomized on the wire and de-randomized by ParseFrame. A
//     Deframer (and the SplitFrames bufio.SplitFunc) cuts a byte stream at
//     FLAG bytes, applying CANCEL, SUBSTITUTE and XON/XOFF as the protocol
//     says. These are pure functions without goroutines; the emulated NCP
//     in zigbee/sim shares them.
//   - link.go: the host side of the link (Link): reset with CANCEL+RST and
//     RSTACK, frame and ack numbers, a transmit window, retransmission with
//     the adaptive ACK timer, NAKs with the reject condition, and XOFF
//     pausing. It owns the io.ReadWriteCloser it is given.
//
// Concurrency: a Link runs one reader goroutine and one state goroutine,
// both started by Start and stopped by Close (which waits for them). Send
// may be called from any goroutine; received EZSP frames are delivered in
// order on the channel returned by Frames, which is closed when the link
// ends. After a link error (ERROR frame, unexpected RSTACK, too many
// retransmissions, I/O failure) the Link is dead: Err says why, and the
// owner resets by starting a new Link on the port.
package ash
