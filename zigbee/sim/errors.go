package sim

import "errors"

// Errors returned by the sim. Front ends wrap them with the operation.
var (
	// ErrUnknownKind means a DeviceSpec names a kind the sim has no model for.
	ErrUnknownKind = errors.New("unknown device kind")
	// ErrUnknownDevice means no virtual device has the given address.
	ErrUnknownDevice = errors.New("no such virtual device")
	// ErrDuplicateDevice means a virtual device with that IEEE address exists.
	ErrDuplicateDevice = errors.New("virtual device already exists")
	// ErrStopped means the network's Run loop has returned.
	ErrStopped = errors.New("sim stopped")
	// ErrLinkClosed means the in-process link was closed by its user.
	ErrLinkClosed = errors.New("link closed")
	// ErrUnplugged means the dongle was unplugged while the link was open.
	ErrUnplugged = errors.New("dongle unplugged")
	// ErrBadState means the state file could not be read or parsed.
	ErrBadState = errors.New("bad sim state file")
	// ErrNotJoined means the device is not a member of the network.
	ErrNotJoined = errors.New("device not joined")
	// ErrUnsupported means the device kind does not support the action.
	ErrUnsupported = errors.New("not supported by this device kind")
)
