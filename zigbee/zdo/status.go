package zdo

import "fmt"

// Status is a ZDP status (Zigbee spec §2.4.5, Table 2.138).
type Status uint8

// ZDP status codes.
const (
	StatusSuccess                Status = 0x00
	StatusInvRequestType         Status = 0x80
	StatusDeviceNotFound         Status = 0x81
	StatusInvalidEP              Status = 0x82
	StatusNotActive              Status = 0x83
	StatusNotSupported           Status = 0x84
	StatusTimeout                Status = 0x85
	StatusNoMatch                Status = 0x86
	StatusNoEntry                Status = 0x88
	StatusNoDescriptor           Status = 0x89
	StatusInsufficientSpace      Status = 0x8A
	StatusNotPermitted           Status = 0x8B
	StatusTableFull              Status = 0x8C
	StatusNotAuthorized          Status = 0x8D
	StatusDeviceBindingTableFull Status = 0x8E
	StatusInvalidIndex           Status = 0x8F
)

var statusNames = map[Status]string{
	StatusSuccess:                "SUCCESS",
	StatusInvRequestType:         "INV_REQUESTTYPE",
	StatusDeviceNotFound:         "DEVICE_NOT_FOUND",
	StatusInvalidEP:              "INVALID_EP",
	StatusNotActive:              "NOT_ACTIVE",
	StatusNotSupported:           "NOT_SUPPORTED",
	StatusTimeout:                "TIMEOUT",
	StatusNoMatch:                "NO_MATCH",
	StatusNoEntry:                "NO_ENTRY",
	StatusNoDescriptor:           "NO_DESCRIPTOR",
	StatusInsufficientSpace:      "INSUFFICIENT_SPACE",
	StatusNotPermitted:           "NOT_PERMITTED",
	StatusTableFull:              "TABLE_FULL",
	StatusNotAuthorized:          "NOT_AUTHORIZED",
	StatusDeviceBindingTableFull: "DEVICE_BINDING_TABLE_FULL",
	StatusInvalidIndex:           "INVALID_INDEX",
}

// String returns the spec name, e.g. "DEVICE_NOT_FOUND".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Status(0x%02X)", uint8(s))
}
