package mcp

import (
	"errors"
	"fmt"
)

// Errors of the device context. Errors returned by this package start with
// "mcp: " and wrap at most one of these; tool results carry the same text
// with isError set.
var (
	// ErrConfig: the Config is invalid (New, Handler).
	ErrConfig = errors.New("invalid configuration")
	// ErrUnknownDevice: no visible device has this name, alias or IEEE
	// address (hidden devices are unknown to assistants).
	ErrUnknownDevice = errors.New("unknown device")
	// ErrRefused: the household's rules for the device forbid the action.
	// The error is a *RuleError.
	ErrRefused = errors.New("refused by the household's rules")
	// ErrConfirmationRequired: the action needs confirm: true, which an
	// assistant should only send after the person agreed.
	ErrConfirmationRequired = errors.New("confirmation required")
	// ErrInvalidContext: a device context value is not acceptable (an
	// unknown access level, a malformed deny entry, a too long text).
	ErrInvalidContext = errors.New("invalid device context")
	// ErrInvalidArgument: a tool argument is well-typed but unusable (a
	// time range upside down or too long, a malformed time).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnknownGroup: no visible group has this name or id (a group with
	// a hidden member is unknown to assistants). The error is an
	// *UnknownGroupError.
	ErrUnknownGroup = errors.New("unknown group")
)

// RuleError reports an action the device's rules forbid.
type RuleError struct {
	Device string // friendly name
	Action string // e.g. "set state=UNLOCK", "rename"
	Rule   string // the rule that forbids it, e.g. "read only", "deny state=UNLOCK"
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("mcp: %s: %s: %v (%s); tell the person instead of retrying", e.Device, e.Action, ErrRefused, e.Rule)
}

func (e *RuleError) Unwrap() error { return ErrRefused }

// UnknownDeviceError reports a name that matches no visible device, with
// the closest name or alias when one is close.
type UnknownDeviceError struct {
	Name       string
	Suggestion string
}

func (e *UnknownDeviceError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("mcp: %v %q (did you mean %q?)", ErrUnknownDevice, e.Name, e.Suggestion)
	}
	return fmt.Sprintf("mcp: %v %q (call list_devices for the names)", ErrUnknownDevice, e.Name)
}

func (e *UnknownDeviceError) Unwrap() error { return ErrUnknownDevice }

// UnknownGroupError reports a name that matches no visible group, with the
// closest group name when one is close.
type UnknownGroupError struct {
	Name       string
	Suggestion string
}

func (e *UnknownGroupError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("mcp: %v %q (did you mean %q?)", ErrUnknownGroup, e.Name, e.Suggestion)
	}
	return fmt.Sprintf("mcp: %v %q (call list_groups for the names)", ErrUnknownGroup, e.Name)
}

func (e *UnknownGroupError) Unwrap() error { return ErrUnknownGroup }
