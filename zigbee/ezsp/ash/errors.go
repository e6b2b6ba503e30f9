package ash

import (
	"errors"
	"fmt"
)

// Frame errors. A *FrameError wraps one of them.
var (
	// ErrTooShort means fewer bytes than control + CRC.
	ErrTooShort = errors.New("frame too short")
	// ErrBadCRC means the CRC does not match.
	ErrBadCRC = errors.New("bad CRC")
	// ErrBadEscape means an ESCAPE byte is followed by a byte that is not an
	// escaped reserved value.
	ErrBadEscape = errors.New("invalid escape sequence")
	// ErrBadControl means the control byte is unassigned (0xC3–0xFF).
	ErrBadControl = errors.New("unassigned control byte")
	// ErrBadLength means the frame's length does not fit its type (an RST
	// with data, a DATA frame shorter than a minimal EZSP frame).
	ErrBadLength = errors.New("bad length for frame type")
	// ErrTooLong means a DATA frame carries more than MaxData bytes.
	ErrTooLong = errors.New("frame too long")
	// ErrVersion means an RSTACK or ERROR frame names an ASH version other
	// than 2.
	ErrVersion = errors.New("unsupported ASH version")
)

// Link errors.
var (
	// ErrNCPError means the NCP sent an ERROR frame (it entered the FAILED
	// state); the link must be reset. The *NCPError carries the code.
	ErrNCPError = errors.New("NCP reported an ASH error")
	// ErrNCPReset means the NCP sent an RSTACK while connected: it rebooted
	// and forgot every EZSP setting.
	ErrNCPReset = errors.New("NCP reset")
	// ErrNoReset means the NCP did not answer RST with RSTACK.
	ErrNoReset = errors.New("no RSTACK from the NCP")
	// ErrAckTimeout means a DATA frame was retransmitted too often without
	// being acknowledged.
	ErrAckTimeout = errors.New("DATA frame not acknowledged")
	// ErrClosed means the link was closed by its owner.
	ErrClosed = errors.New("link closed")
)

// FrameError reports bytes that are not a valid ASH frame.
type FrameError struct {
	Err   error  // one of the frame sentinels
	Frame []byte // the offending bytes as received (escaped), possibly truncated
}

func (e *FrameError) Error() string {
	b := e.Frame
	const maxShown = 32
	suffix := ""
	if len(b) > maxShown {
		b, suffix = b[:maxShown], "…"
	}
	return fmt.Sprintf("ash: %v: % X%s", e.Err, b, suffix)
}

func (e *FrameError) Unwrap() error { return e.Err }

// NCPError is an ERROR frame, or an RSTACK that arrived while connected.
type NCPError struct {
	Kind Type  // TypeError or TypeRSTACK
	Code uint8 // reset or error code (ezsp.md §4.2)
}

func (e *NCPError) Error() string {
	if e.Kind == TypeRSTACK {
		return fmt.Sprintf("ash: NCP reset unexpectedly: %s (0x%02X)", CodeName(e.Code), e.Code)
	}
	return fmt.Sprintf("ash: NCP failed: %s (0x%02X)", CodeName(e.Code), e.Code)
}

func (e *NCPError) Unwrap() error {
	if e.Kind == TypeRSTACK {
		return ErrNCPReset
	}
	return ErrNCPError
}

// CodeName names a reset or error code of RSTACK and ERROR frames.
func CodeName(c uint8) string {
	switch c {
	case 0x00:
		return "RESET_UNKNOWN_REASON"
	case 0x01:
		return "RESET_EXTERNAL"
	case 0x02:
		return "RESET_POWER_ON"
	case 0x03:
		return "RESET_WATCHDOG"
	case 0x06:
		return "RESET_ASSERT"
	case 0x09:
		return "RESET_BOOTLOADER"
	case 0x0B:
		return "RESET_SOFTWARE"
	case 0x51:
		return "ERROR_EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT"
	}
	if c >= 0x80 {
		return "RESET_CHIP_SPECIFIC"
	}
	return "UNKNOWN"
}
