package ezsp

import (
	"errors"
	"fmt"
)

// Frame and parameter errors. A *FrameError or *ParamsError wraps one of
// them.
var (
	// ErrShortFrame means the bytes end inside the EZSP header.
	ErrShortFrame = errors.New("short EZSP frame")
	// ErrUnsupportedControl means the high frame-control byte asks for
	// Secure EZSP, padding or an unknown frame format version.
	ErrUnsupportedControl = errors.New("unsupported frame control")
	// ErrShortParams means the parameters end before the command's layout.
	ErrShortParams = errors.New("short parameters")
	// ErrBadValue means a parameter given to an encoder has the wrong type
	// or does not fit its field.
	ErrBadValue = errors.New("bad parameter value")
	// ErrUnknownCommand means no command table entry has the frame id.
	ErrUnknownCommand = errors.New("unknown frame id")
)

// Connection and command errors.
var (
	// ErrInvalidCommand means the NCP answered with invalidCommand; an
	// *InvalidCommandError carries its reason.
	ErrInvalidCommand = errors.New("command rejected by the NCP")
	// ErrTruncated means the NCP's response did not fit its buffer
	// (frame control bit 0x02).
	ErrTruncated = errors.New("truncated response")
	// ErrVersion means the NCP speaks an EZSP version the driver does not
	// drive (ezsp.md §6).
	ErrVersion = errors.New("unsupported EZSP protocol version")
	// ErrUnexpectedResponse means a response's frame id does not match the
	// command in flight.
	ErrUnexpectedResponse = errors.New("unexpected response")
)

// FrameError reports bytes that are not an EZSP frame.
type FrameError struct {
	Err   error
	Frame []byte
}

func (e *FrameError) Error() string {
	b, suffix := e.Frame, ""
	if len(b) > 32 {
		b, suffix = b[:32], "…"
	}
	return fmt.Sprintf("ezsp: %v: % X%s", e.Err, b, suffix)
}

func (e *FrameError) Unwrap() error { return e.Err }

// ParamsError reports parameters that do not match a command's layout.
type ParamsError struct {
	Op      string // "decode" or "encode"
	Command string // the command's name, or "0xNNNN"
	Version uint8
	Err     error // wraps ErrShortParams, ErrBadValue or ErrUnknownCommand
}

func (e *ParamsError) Error() string {
	return fmt.Sprintf("ezsp: %s %s (v%d): %v", e.Op, e.Command, e.Version, e.Err)
}

func (e *ParamsError) Unwrap() error { return e.Err }

// InvalidCommandError is the NCP's invalidCommand answer.
type InvalidCommandError struct {
	Command string
	Reason  uint8 // EzspStatus
}

func (e *InvalidCommandError) Error() string {
	return fmt.Sprintf("ezsp: %s rejected: %s (0x%02X)", e.Command, EzspStatusName(e.Reason), e.Reason)
}

func (e *InvalidCommandError) Unwrap() error { return ErrInvalidCommand }
