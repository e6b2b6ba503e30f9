package ezsp

import "fmt"

// Format is an EZSP header flavour (ezsp.md §5).
type Format uint8

// Header formats.
const (
	// FormatLegacy is seq, fc, frameId(1): EZSP v4, and the first version
	// command after every reset in all versions.
	FormatLegacy Format = iota + 1
	// FormatLegacyExt is seq, fc, 0xFF, 0x00, frameId(1): EZSP v5–v7.
	FormatLegacyExt
	// FormatExtended is seq, fc_lo, fc_hi, frameId_lo, frameId_hi: EZSP v8+.
	FormatExtended
)

func (f Format) String() string {
	switch f {
	case FormatLegacy:
		return "legacy"
	case FormatLegacyExt:
		return "legacy-extended"
	case FormatExtended:
		return "extended"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// FormatFor returns the header format of protocol version v.
func FormatFor(v uint8) Format {
	switch {
	case v >= 8:
		return FormatExtended
	case v >= 5:
		return FormatLegacyExt
	}
	return FormatLegacy
}

// Frame control bits, low byte (ezsp.md §5.1).
const (
	FCResponse     = 0x80 // NCP→host
	FCNetworkMask  = 0x60
	FCCallback     = 0x10 // asynchronous callback
	FCSyncCallback = 0x08 // callback answering a callback poll
	FCPending      = 0x04 // more callbacks pending
	FCTruncated    = 0x02
	FCOverflow     = 0x01 // callbacks were dropped
)

// fcHiFormat1 is the high frame-control byte of every supported extended
// frame: frame format version 1, no security, no padding (§5.2).
const fcHiFormat1 = 0x01

// Frame is one EZSP frame: the data field of an ASH DATA frame.
type Frame struct {
	Seq     uint8
	Control uint8 // low frame-control byte; the high byte is always 0x01
	ID      uint16
	Params  []byte
	Format  Format
}

// IsResponse reports whether the frame goes NCP→host.
func (f Frame) IsResponse() bool { return f.Control&FCResponse != 0 }

// IsCallback reports whether the frame is a callback, by the frame-control
// bits (ezsp.md §5.3: the sequence number of a callback is not unique).
func (f Frame) IsCallback() bool {
	return f.Control&FCResponse != 0 && f.Control&(FCCallback|FCSyncCallback) != 0
}

// HeaderLen returns the header length of format f.
func (f Format) HeaderLen() int {
	switch f {
	case FormatLegacyExt, FormatExtended:
		return 5
	}
	return 3
}

// DetectFormat guesses the header format of b when the protocol version
// is unknown: 0xFF in byte 2 marks v5–v7, a high frame-control byte of
// exactly 0x01 (with room for a 2-byte id) marks v8+, anything else is the
// legacy header.
func DetectFormat(b []byte) Format {
	switch {
	case len(b) >= 5 && b[2] == 0xFF && b[3] == 0x00:
		return FormatLegacyExt
	case len(b) >= 5 && b[2] == fcHiFormat1:
		return FormatExtended
	}
	return FormatLegacy
}

// ParseFrame splits b into header and parameters using format f. Params
// aliases b.
func ParseFrame(b []byte, f Format) (Frame, error) {
	n := f.HeaderLen()
	if len(b) < n {
		return Frame{}, &FrameError{Err: ErrShortFrame, Frame: b}
	}
	fr := Frame{Seq: b[0], Control: b[1], Format: f, Params: b[n:]}
	switch f {
	case FormatLegacy:
		fr.ID = uint16(b[2])
	case FormatLegacyExt:
		if b[2] != 0xFF || b[3] != 0x00 {
			return Frame{}, &FrameError{Err: ErrUnsupportedControl, Frame: b}
		}
		fr.ID = uint16(b[4])
	case FormatExtended:
		if b[2] != fcHiFormat1 {
			return Frame{}, &FrameError{Err: ErrUnsupportedControl, Frame: b}
		}
		fr.ID = uint16(b[3]) | uint16(b[4])<<8
	default:
		return Frame{}, &FrameError{Err: ErrUnsupportedControl, Frame: b}
	}
	return fr, nil
}

// AppendFrame appends the header and parameters of f.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	switch f.Format {
	case FormatLegacy:
		if f.ID > 0xFF {
			return dst, &FrameError{Err: ErrBadValue}
		}
		dst = append(dst, f.Seq, f.Control, byte(f.ID))
	case FormatLegacyExt:
		if f.ID > 0xFF {
			return dst, &FrameError{Err: ErrBadValue}
		}
		dst = append(dst, f.Seq, f.Control, 0xFF, 0x00, byte(f.ID))
	case FormatExtended:
		dst = append(dst, f.Seq, f.Control, fcHiFormat1, byte(f.ID), byte(f.ID>>8))
	default:
		return dst, &FrameError{Err: ErrUnsupportedControl}
	}
	return append(dst, f.Params...), nil
}
