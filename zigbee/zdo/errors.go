package zdo

import (
	"errors"
	"fmt"
)

// Decoding errors. A *DecodeError wraps one of them.
var (
	// ErrTruncated means the payload ends before a field, a list or a
	// descriptor it announces.
	ErrTruncated = errors.New("truncated")
	// ErrBadLength means a length field disagrees with what it covers (a
	// simple descriptor longer or shorter than its length byte).
	ErrBadLength = errors.New("length mismatch")
	// ErrBadValue means a field holds a value the layout cannot carry, such
	// as a bind destination address mode other than group or IEEE.
	ErrBadValue = errors.New("bad value")
	// ErrUnknownCluster means Decode has no codec for the ZDO cluster.
	ErrUnknownCluster = errors.New("unknown ZDO cluster")
	// ErrStatus is what a *StatusError unwraps to.
	ErrStatus = errors.New("zdo status")
)

// DecodeError reports a ZDP payload that could not be decoded.
type DecodeError struct {
	Op     string // the message, e.g. "Node_Desc_rsp"
	Offset int    // offset in the payload (after the TSN) where decoding failed
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("zdo: %s: at offset %d: %v", e.Op, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// StatusError is a non-success ZDP status in a response.
type StatusError struct {
	Cluster uint16 // the response cluster
	Status  Status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("zdo: %s: %v", clusterName(e.Cluster), e.Status)
}

func (e *StatusError) Unwrap() error { return ErrStatus }
