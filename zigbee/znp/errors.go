package znp

import (
	"errors"
	"fmt"
)

// Framing errors. A *FrameError wraps one of them.
var (
	// ErrNoSOF means the bytes do not start with the 0xFE start-of-frame.
	ErrNoSOF = errors.New("no start of frame")
	// ErrIncomplete means the bytes end before the frame does.
	ErrIncomplete = errors.New("incomplete frame")
	// ErrFrameTooLong means LEN is above 250.
	ErrFrameTooLong = errors.New("frame length above 250")
	// ErrBadFCS means the XOR checksum does not match.
	ErrBadFCS = errors.New("bad frame check sequence")
	// ErrTrailingBytes means bytes follow a complete frame.
	ErrTrailingBytes = errors.New("trailing bytes after frame")
)

// Command and payload errors. A *PayloadError wraps one of the first five; an
// *RPCError unwraps to ErrRPC.
var (
	// ErrUnknownCommand means no command table entry matches the header.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrShortPayload means the payload ends before the schema does.
	ErrShortPayload = errors.New("short payload")
	// ErrTrailingPayload means bytes follow the last field of the schema.
	ErrTrailingPayload = errors.New("trailing payload bytes")
	// ErrMissingField means a required parameter was not given to an encoder.
	ErrMissingField = errors.New("missing field")
	// ErrBadValue means a parameter has the wrong Go type, is out of range,
	// or disagrees with its length or count field.
	ErrBadValue = errors.New("bad field value")
	// ErrRPC means the ZNP rejected a request with the RPC error SRSP
	// (protocol/znp.md §3): unknown subsystem or command, bad parameter or length.
	ErrRPC = errors.New("request rejected by ZNP")
)

// FrameError reports a frame that could not be decoded.
type FrameError struct {
	Err   error  // one of the framing sentinels above
	Frame []byte // the offending bytes (may be truncated by the caller)
}

func (e *FrameError) Error() string {
	b := e.Frame
	const maxShown = 32
	suffix := ""
	if len(b) > maxShown {
		b, suffix = b[:maxShown], "…"
	}
	return fmt.Sprintf("znp: %v: % X%s", e.Err, b, suffix)
}

func (e *FrameError) Unwrap() error { return e.Err }
