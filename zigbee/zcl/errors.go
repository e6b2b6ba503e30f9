package zcl

import (
	"errors"
	"fmt"
)

// Decoding errors. A *DecodeError wraps one of them, so match with errors.Is.
var (
	// ErrShortFrame means the bytes end inside the ZCL frame header.
	ErrShortFrame = errors.New("short frame")
	// ErrTruncated means a payload, record or value ends before its
	// declared size (a short record, or a string length past the end).
	ErrTruncated = errors.New("truncated")
	// ErrReservedFrameType means frame control bits 0–1 hold 2 or 3, which
	// ZCL reserves; such a frame cannot be interpreted.
	ErrReservedFrameType = errors.New("reserved frame type")
	// ErrUnknownType means a data type id is not defined by ZCL, so the size
	// of the value (and of everything after it) is unknown.
	ErrUnknownType = errors.New("unknown data type")
	// ErrBadValue means a value is not valid for its type: an array of
	// zero-size elements, nesting deeper than MaxNesting, or a Go value that
	// does not fit the type.
	ErrBadValue = errors.New("bad value")
	// ErrTrailing means bytes follow a payload whose layout has no room for
	// them (for example after a default response).
	ErrTrailing = errors.New("trailing bytes")
	// ErrUnknownCommand means no decoder is known for a command id.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrStatus is what a *StatusError unwraps to: a peer answered with a
	// non-success ZCL status.
	ErrStatus = errors.New("zcl status")
)

// DecodeError reports bytes that could not be decoded.
type DecodeError struct {
	Op     string // what was being decoded, e.g. "read attributes response"
	Offset int    // byte offset in the input where decoding failed
	Err    error  // one of the sentinels above
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("zcl: %s: at offset %d: %v", e.Op, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// StatusError is a non-success status reported by a peer.
type StatusError struct {
	Command CommandID // the command the status answers
	Status  Status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("zcl: command 0x%02X: %v", uint8(e.Command), e.Status)
}

func (e *StatusError) Unwrap() error { return ErrStatus }

func decodeErr(op string, off int, err error) error {
	return &DecodeError{Op: op, Offset: off, Err: err}
}
