package zcl

import "fmt"

// FrameType is the ZCL frame type, frame control bits 0–1 (ZCL §2.4.1.1.1).
type FrameType uint8

// Frame types.
const (
	// FrameGlobal carries a foundation command valid on every cluster.
	FrameGlobal FrameType = 0
	// FrameCluster carries a command specific to the frame's cluster.
	FrameCluster FrameType = 1
)

func (t FrameType) String() string {
	switch t {
	case FrameGlobal:
		return "global"
	case FrameCluster:
		return "cluster"
	}
	return fmt.Sprintf("FrameType(%d)", uint8(t))
}

// Direction says which side of a cluster sent a frame (frame control bit 3).
type Direction uint8

// Directions.
const (
	// ClientToServer is a command sent to a cluster server (a switch
	// telling a light to turn on, a hub reading an attribute).
	ClientToServer Direction = 0
	// ServerToClient is a command sent by a cluster server (attribute
	// reports, read responses, IAS zone notifications).
	ServerToClient Direction = 1
)

func (d Direction) String() string {
	if d == ServerToClient {
		return "server→client"
	}
	return "client→server"
}

// Reverse returns the opposite direction.
func (d Direction) Reverse() Direction { return d ^ 1 }

// CommandID identifies a command: a foundation command in a FrameGlobal
// frame, a cluster-specific command in a FrameCluster frame.
type CommandID uint8

// Frame control bits (ZCL §2.4.1.1).
const (
	fcTypeMask       = 0x03
	fcManufacturer   = 0x04
	fcDirection      = 0x08
	fcDisableDefault = 0x10
	fcReservedMask   = 0xE0
)

// Frame is a ZCL frame: header and raw payload. The payload is decoded by
// the command's own parser (ParseReadAttributes, ParseMoveToLevel, ...).
type Frame struct {
	Type FrameType
	// ManufacturerSpecific marks a manufacturer-specific command or
	// attribute set; ManufacturerCode is sent only when it is set.
	ManufacturerSpecific   bool
	ManufacturerCode       uint16
	Direction              Direction
	DisableDefaultResponse bool
	// Reserved holds frame control bits 5–7 as received, so a frame
	// re-encodes byte for byte. Leave it zero when sending.
	Reserved uint8
	// TSN is the transaction sequence number; a response copies the
	// request's.
	TSN     uint8
	Command CommandID
	Payload []byte
}

// HeaderLen returns the encoded size of f's header.
func (f Frame) HeaderLen() int {
	if f.ManufacturerSpecific {
		return 5
	}
	return 3
}

// AppendTo appends the encoded frame to dst and returns the extended slice.
func (f Frame) AppendTo(dst []byte) []byte {
	fc := uint8(f.Type)&fcTypeMask | f.Reserved<<5
	if f.ManufacturerSpecific {
		fc |= fcManufacturer
	}
	if f.Direction == ServerToClient {
		fc |= fcDirection
	}
	if f.DisableDefaultResponse {
		fc |= fcDisableDefault
	}
	dst = append(dst, fc)
	if f.ManufacturerSpecific {
		dst = append(dst, byte(f.ManufacturerCode), byte(f.ManufacturerCode>>8))
	}
	dst = append(dst, f.TSN, byte(f.Command))
	return append(dst, f.Payload...)
}

// Encode returns the encoded frame in a new slice.
func (f Frame) Encode() []byte {
	return f.AppendTo(make([]byte, 0, f.HeaderLen()+len(f.Payload)))
}

// ParseFrame decodes a ZCL frame. The returned Payload aliases b.
func ParseFrame(b []byte) (Frame, error) {
	const op = "frame"
	if len(b) < 1 {
		return Frame{}, decodeErr(op, 0, ErrShortFrame)
	}
	fc := b[0]
	f := Frame{
		Type:                   FrameType(fc & fcTypeMask),
		ManufacturerSpecific:   fc&fcManufacturer != 0,
		DisableDefaultResponse: fc&fcDisableDefault != 0,
		Reserved:               (fc & fcReservedMask) >> 5,
	}
	if fc&fcDirection != 0 {
		f.Direction = ServerToClient
	}
	if f.Type > FrameCluster {
		return Frame{}, decodeErr(op, 0, ErrReservedFrameType)
	}
	i := 1
	if f.ManufacturerSpecific {
		if len(b) < 3 {
			return Frame{}, decodeErr(op, len(b), ErrShortFrame)
		}
		f.ManufacturerCode = uint16(b[1]) | uint16(b[2])<<8
		i = 3
	}
	if len(b) < i+2 {
		return Frame{}, decodeErr(op, len(b), ErrShortFrame)
	}
	f.TSN = b[i]
	f.Command = CommandID(b[i+1])
	f.Payload = b[i+2:]
	return f, nil
}

// IsGlobal reports whether f carries the foundation command cmd.
func (f Frame) IsGlobal(cmd CommandID) bool { return f.Type == FrameGlobal && f.Command == cmd }

// Reply returns the header of a response to f: same TSN and manufacturer
// code, the opposite direction, default response disabled (ZCL §2.5.12.2:
// a response never asks for a default response), with the given frame
// type, command and payload.
func (f Frame) Reply(t FrameType, cmd CommandID, payload []byte) Frame {
	return Frame{
		Type:                   t,
		ManufacturerSpecific:   f.ManufacturerSpecific,
		ManufacturerCode:       f.ManufacturerCode,
		Direction:              f.Direction.Reverse(),
		DisableDefaultResponse: true,
		TSN:                    f.TSN,
		Command:                cmd,
		Payload:                payload,
	}
}

// WantsDefaultResponse reports whether a receiver should answer f with a
// default response when it sends no other response, and the result was
// success (ZCL §2.5.12.2). Errors are always answered, unless f was
// broadcast or is itself a default response; that is the caller's call.
func (f Frame) WantsDefaultResponse() bool {
	return !f.DisableDefaultResponse && !f.IsGlobal(CmdDefaultResponse)
}

func (f Frame) String() string {
	s := fmt.Sprintf("zcl %v cmd 0x%02X tsn %d %v", f.Type, uint8(f.Command), f.TSN, f.Direction)
	if f.ManufacturerSpecific {
		s += fmt.Sprintf(" mfr 0x%04X", f.ManufacturerCode)
	}
	return s + fmt.Sprintf(" (%d bytes)", len(f.Payload))
}
