package zcl

import "fmt"

// Status is a ZCL status code (ZCL §2.6.3, Table 2-12).
type Status uint8

// Status codes.
const (
	StatusSuccess                  Status = 0x00
	StatusFailure                  Status = 0x01
	StatusNotAuthorized            Status = 0x7E
	StatusReservedFieldNotZero     Status = 0x7F
	StatusMalformedCommand         Status = 0x80
	StatusUnsupClusterCommand      Status = 0x81
	StatusUnsupGeneralCommand      Status = 0x82
	StatusUnsupManufClusterCommand Status = 0x83
	StatusUnsupManufGeneralCommand Status = 0x84
	StatusInvalidField             Status = 0x85
	StatusUnsupportedAttribute     Status = 0x86
	StatusInvalidValue             Status = 0x87
	StatusReadOnly                 Status = 0x88
	StatusInsufficientSpace        Status = 0x89
	StatusDuplicateExists          Status = 0x8A
	StatusNotFound                 Status = 0x8B
	StatusUnreportableAttribute    Status = 0x8C
	StatusInvalidDataType          Status = 0x8D
	StatusInvalidSelector          Status = 0x8E
	StatusWriteOnly                Status = 0x8F
	StatusInconsistentStartupState Status = 0x90
	StatusDefinedOutOfBand         Status = 0x91
	StatusInconsistent             Status = 0x92
	StatusActionDenied             Status = 0x93
	StatusTimeout                  Status = 0x94
	StatusAbort                    Status = 0x95
	StatusInvalidImage             Status = 0x96
	StatusWaitForData              Status = 0x97
	StatusNoImageAvailable         Status = 0x98
	StatusRequireMoreImage         Status = 0x99
	StatusNotificationPending      Status = 0x9A
	StatusHardwareFailure          Status = 0xC0
	StatusSoftwareFailure          Status = 0xC1
	StatusCalibrationError         Status = 0xC2
	StatusUnsupportedCluster       Status = 0xC3
	StatusLimitReached             Status = 0xC4 // ZCL 8 (0xC4 LIMIT_REACHED)
)

var statusNames = map[Status]string{
	StatusSuccess:                  "SUCCESS",
	StatusFailure:                  "FAILURE",
	StatusNotAuthorized:            "NOT_AUTHORIZED",
	StatusReservedFieldNotZero:     "RESERVED_FIELD_NOT_ZERO",
	StatusMalformedCommand:         "MALFORMED_COMMAND",
	StatusUnsupClusterCommand:      "UNSUP_CLUSTER_COMMAND",
	StatusUnsupGeneralCommand:      "UNSUP_GENERAL_COMMAND",
	StatusUnsupManufClusterCommand: "UNSUP_MANUF_CLUSTER_COMMAND",
	StatusUnsupManufGeneralCommand: "UNSUP_MANUF_GENERAL_COMMAND",
	StatusInvalidField:             "INVALID_FIELD",
	StatusUnsupportedAttribute:     "UNSUPPORTED_ATTRIBUTE",
	StatusInvalidValue:             "INVALID_VALUE",
	StatusReadOnly:                 "READ_ONLY",
	StatusInsufficientSpace:        "INSUFFICIENT_SPACE",
	StatusDuplicateExists:          "DUPLICATE_EXISTS",
	StatusNotFound:                 "NOT_FOUND",
	StatusUnreportableAttribute:    "UNREPORTABLE_ATTRIBUTE",
	StatusInvalidDataType:          "INVALID_DATA_TYPE",
	StatusInvalidSelector:          "INVALID_SELECTOR",
	StatusWriteOnly:                "WRITE_ONLY",
	StatusInconsistentStartupState: "INCONSISTENT_STARTUP_STATE",
	StatusDefinedOutOfBand:         "DEFINED_OUT_OF_BAND",
	StatusInconsistent:             "INCONSISTENT",
	StatusActionDenied:             "ACTION_DENIED",
	StatusTimeout:                  "TIMEOUT",
	StatusAbort:                    "ABORT",
	StatusInvalidImage:             "INVALID_IMAGE",
	StatusWaitForData:              "WAIT_FOR_DATA",
	StatusNoImageAvailable:         "NO_IMAGE_AVAILABLE",
	StatusRequireMoreImage:         "REQUIRE_MORE_IMAGE",
	StatusNotificationPending:      "NOTIFICATION_PENDING",
	StatusHardwareFailure:          "HARDWARE_FAILURE",
	StatusSoftwareFailure:          "SOFTWARE_FAILURE",
	StatusCalibrationError:         "CALIBRATION_ERROR",
	StatusUnsupportedCluster:       "UNSUPPORTED_CLUSTER",
	StatusLimitReached:             "LIMIT_REACHED",
}

// String returns the spec name, e.g. "UNSUPPORTED_ATTRIBUTE".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Status(0x%02X)", uint8(s))
}

// Err returns nil for StatusSuccess and a *StatusError otherwise.
func (s Status) Err(cmd CommandID) error {
	if s == StatusSuccess {
		return nil
	}
	return &StatusError{Command: cmd, Status: s}
}
