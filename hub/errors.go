package hub

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the hub. Every error a hub method returns starts with "hub: "
// and wraps at most one of these (typed errors unwrap to them), so callers
// match with errors.Is; front doors map them to their own status codes.
var (
	// ErrUnknownDevice: no device has this friendly name or IEEE address.
	// The error is an *UnknownDeviceError, which may carry a suggestion.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrDuplicateName: another device or a group already has this
	// friendly name (names are unique across devices and groups).
	ErrDuplicateName = errors.New("friendly name already in use")
	// ErrInvalidName: the friendly name is empty, reserved ("bridge"), or
	// contains characters MQTT topics cannot carry.
	ErrInvalidName = errors.New("invalid friendly name")
	// ErrUnknownProperty: the device exposes no such property.
	ErrUnknownProperty = errors.New("unknown property")
	// ErrReadOnly: the property cannot be set (a sensor reading).
	ErrReadOnly = errors.New("property is read-only")
	// ErrNotReadable: the property cannot be read on demand (a sleepy
	// sensor's contact, an action); its last reported value is in the state.
	ErrNotReadable = errors.New("property cannot be read")
	// ErrInvalidValue: the value has the wrong type or is not one of the
	// accepted values.
	ErrInvalidValue = errors.New("invalid value")
	// ErrOutOfRange: a number outside the property's range.
	ErrOutOfRange = errors.New("value out of range")
	// ErrTimeout: the device did not answer in time.
	ErrTimeout = errors.New("no answer from the device")
	// ErrNotDelivered: the coordinator could not deliver the frame (no
	// route, no MAC acknowledgement, expired for a sleeping device, ...).
	ErrNotDelivered = errors.New("not delivered")
	// ErrRejected: the device answered with a non-success ZCL or ZDO status.
	ErrRejected = errors.New("rejected by the device")
	// ErrDeviceOffline: the device is marked offline by availability
	// tracking; it is joined with the delivery error when a command fails.
	ErrDeviceOffline = errors.New("device is offline")
	// ErrNotRunning: the hub's Run loop is not active, or the Zigbee
	// network is down.
	ErrNotRunning = errors.New("hub not running")
	// ErrInterview: the device's interview failed (see Device.Interview).
	ErrInterview = errors.New("interview failed")
	// ErrNotInterviewed: the device has not finished its interview, so its
	// capabilities are not known yet.
	ErrNotInterviewed = errors.New("device not interviewed yet")
	// ErrUnknownGroup: no group has this friendly name or id. The error is
	// an *UnknownGroupError, which may carry a suggestion.
	ErrUnknownGroup = errors.New("unknown group")
	// ErrNotSupported: the device cannot do this at all (e.g. join a
	// group: no Groups cluster on the endpoint).
	ErrNotSupported = errors.New("not supported by the device")
	// ErrEmptyGroup: the group has no members to act on.
	ErrEmptyGroup = errors.New("group has no members")
)

// UnknownDeviceError reports a friendly name or address that matches no
// device. Suggestion is the closest existing name when one is close enough
// to be a likely typo.
type UnknownDeviceError struct {
	Name       string
	Suggestion string
}

func (e *UnknownDeviceError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("hub: unknown device %q (did you mean %q?)", e.Name, e.Suggestion)
	}
	return fmt.Sprintf("hub: unknown device %q", e.Name)
}

func (e *UnknownDeviceError) Unwrap() error { return ErrUnknownDevice }

// UnknownGroupError reports a group name or id that matches no group.
// Suggestion is the closest group name when one is close enough to be a
// likely typo.
type UnknownGroupError struct {
	Name       string
	Suggestion string
}

func (e *UnknownGroupError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("hub: unknown group %q (did you mean %q?)", e.Name, e.Suggestion)
	}
	return fmt.Sprintf("hub: unknown group %q", e.Name)
}

func (e *UnknownGroupError) Unwrap() error { return ErrUnknownGroup }

// PropertyError reports a property or value that Set or Get refused before
// anything was sent. Reason is one of ErrUnknownProperty, ErrReadOnly,
// ErrNotReadable, ErrInvalidValue, ErrOutOfRange.
type PropertyError struct {
	Device   string
	Property string
	Value    any    // the offending value, nil for unknown properties
	Reason   error  // a sentinel
	Detail   string // what is accepted, e.g. "a number 0–254"
	// Suggestion names a close property for ErrUnknownProperty.
	Suggestion string
}

func (e *PropertyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: %s: %s", e.Device, e.Property)
	if e.Value != nil {
		fmt.Fprintf(&b, " = %v", e.Value)
	}
	fmt.Fprintf(&b, ": %v", e.Reason)
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggestion)
	}
	return b.String()
}

func (e *PropertyError) Unwrap() error { return e.Reason }

// CommandError reports a command or request that reached the radio path
// and failed: Kind says how (ErrTimeout, ErrNotDelivered, ErrRejected,
// ErrNotRunning), Err is the underlying error (a *zigbee.StatusError, a
// *zcl.StatusError, ...). Offline is set when the device was already
// marked offline; the error then also matches ErrDeviceOffline.
type CommandError struct {
	Device  string
	Op      string // e.g. "set brightness", "read temperature", "node_descriptor"
	Kind    error
	Err     error
	Offline bool
	// LastSeen is when the device was last heard from (zero: never).
	LastSeen time.Time
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: %s: %s: ", e.Device, e.Op)
	if e.Offline {
		b.WriteString("device is offline")
		if !e.LastSeen.IsZero() {
			fmt.Fprintf(&b, " (last seen %s ago)", time.Since(e.LastSeen).Round(time.Second))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.Error())
	if e.Err != nil && e.Err != e.Kind {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the kind, the cause and ErrDeviceOffline when set.
func (e *CommandError) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil && e.Err != e.Kind {
		errs = append(errs, e.Err)
	}
	if e.Offline {
		errs = append(errs, ErrDeviceOffline)
	}
	return errs
}
