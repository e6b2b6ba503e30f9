package znp

import (
	"fmt"
)

// UNPI framing constants (protocol/znp.md §2.1).
const (
	// SOF starts every UNPI frame.
	SOF = 0xFE
	// MaxPayload is the largest DATA length Z-Stack's MT layer accepts (LEN ≤ 250).
	MaxPayload = 250
	// frameOverhead is SOF + LEN + CMD0 + CMD1 + FCS.
	frameOverhead = 5
	// MaxFrameSize is the largest encoded frame.
	MaxFrameSize = MaxPayload + frameOverhead
)

// Type is the MT command type held in bits 7–5 of CMD0.
type Type uint8

// MT command types.
const (
	POLL Type = 0
	SREQ Type = 1
	AREQ Type = 2
	SRSP Type = 3
)

func (t Type) String() string {
	switch t {
	case POLL:
		return "POLL"
	case SREQ:
		return "SREQ"
	case AREQ:
		return "AREQ"
	case SRSP:
		return "SRSP"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Subsystem is the MT subsystem held in bits 4–0 of CMD0.
type Subsystem uint8

// MT subsystems (protocol/znp.md §4).
const (
	RPCError Subsystem = 0x00
	SYS      Subsystem = 0x01
	MAC      Subsystem = 0x02
	NWK      Subsystem = 0x03
	AF       Subsystem = 0x04
	ZDO      Subsystem = 0x05
	SAPI     Subsystem = 0x06
	UTIL     Subsystem = 0x07
	DEBUG    Subsystem = 0x08
	APP      Subsystem = 0x09
	APPCNF   Subsystem = 0x0F
	GP       Subsystem = 0x15
)

func (s Subsystem) String() string {
	switch s {
	case RPCError:
		return "RPC_ERROR"
	case SYS:
		return "SYS"
	case MAC:
		return "MAC"
	case NWK:
		return "NWK"
	case AF:
		return "AF"
	case ZDO:
		return "ZDO"
	case SAPI:
		return "SAPI"
	case UTIL:
		return "UTIL"
	case DEBUG:
		return "DEBUG"
	case APP:
		return "APP"
	case APPCNF:
		return "APP_CNF"
	case GP:
		return "GP"
	}
	return fmt.Sprintf("Subsystem(0x%02X)", uint8(s))
}

// Header identifies a command: type, subsystem and CMD1.
type Header struct {
	Type      Type
	Subsystem Subsystem
	ID        uint8 // CMD1
}

// Cmd0 returns the CMD0 byte: type<<5 | subsystem.
func (h Header) Cmd0() byte { return byte(h.Type)<<5 | byte(h.Subsystem)&0x1F }

// HeaderFromCmd returns the header encoded by CMD0 and CMD1.
func HeaderFromCmd(cmd0, cmd1 byte) Header {
	return Header{Type: Type(cmd0 >> 5), Subsystem: Subsystem(cmd0 & 0x1F), ID: cmd1}
}

func (h Header) String() string {
	return fmt.Sprintf("%s %s 0x%02X", h.Type, h.Subsystem, h.ID)
}

// Frame is one decoded UNPI frame: a command header and its DATA bytes.
type Frame struct {
	Header
	Payload []byte
}

func (f Frame) String() string { return fmt.Sprintf("%s [% X]", f.Header, f.Payload) }

// FCS returns the XOR checksum over b (LEN through the last DATA byte).
func FCS(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// AppendFrame appends the UNPI encoding of f to dst. It fails only when the
// payload is longer than MaxPayload.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return dst, fmt.Errorf("znp: encode %v: %w (%d bytes)", f.Header, ErrFrameTooLong, len(f.Payload))
	}
	start := len(dst)
	dst = append(dst, SOF, byte(len(f.Payload)), f.Cmd0(), f.ID)
	dst = append(dst, f.Payload...)
	return append(dst, FCS(dst[start+1:])), nil
}

// ParseFrame decodes exactly one complete frame from b. The returned payload
// aliases b. Errors are ErrNoSOF, ErrIncomplete, ErrFrameTooLong, ErrBadFCS or
// ErrTrailingBytes, wrapped in a *FrameError.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) == 0 || b[0] != SOF {
		return Frame{}, &FrameError{Err: ErrNoSOF, Frame: b}
	}
	if len(b) < 2 {
		return Frame{}, &FrameError{Err: ErrIncomplete, Frame: b}
	}
	n := int(b[1])
	if n > MaxPayload {
		return Frame{}, &FrameError{Err: ErrFrameTooLong, Frame: b}
	}
	if len(b) < n+frameOverhead {
		return Frame{}, &FrameError{Err: ErrIncomplete, Frame: b}
	}
	if len(b) > n+frameOverhead {
		return Frame{}, &FrameError{Err: ErrTrailingBytes, Frame: b}
	}
	if FCS(b[1:n+4]) != b[n+4] {
		return Frame{}, &FrameError{Err: ErrBadFCS, Frame: b}
	}
	return Frame{Header: HeaderFromCmd(b[2], b[3]), Payload: b[4 : 4+n]}, nil
}
