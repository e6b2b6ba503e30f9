package znp

import "fmt"

// Status is a Z-Stack status byte (protocol/znp.md §6): the SRSP status of
// most requests and the status of AF_DATA_CONFIRM. ZDO callbacks carry ZDP
// statuses (0x80–0x8D), which share the type. Status implements error, so
// errors.Is(err, StatusMACNoACK) matches a *StatusError for that status.
type Status uint8

// Z-Stack statuses.
const (
	StatusSuccess                 Status = 0x00
	StatusFailure                 Status = 0x01
	StatusInvalidParameter        Status = 0x02
	StatusNVItemUninit            Status = 0x09 // NV_ITEM_INIT created the item; NV_DELETE of a missing item
	StatusNVOperFailed            Status = 0x0A
	StatusNVBadItemLen            Status = 0x0C
	StatusMemError                Status = 0x10
	StatusBufferFull              Status = 0x11
	StatusUnsupportedMode         Status = 0x12
	StatusMACMemError             Status = 0x13
	StatusMACNoResources          Status = 0x1A
	StatusZDPInvRequestType       Status = 0x80
	StatusZDPDeviceNotFound       Status = 0x81
	StatusZDPInvalidEP            Status = 0x82
	StatusZDPNotActive            Status = 0x83
	StatusZDPNotSupported         Status = 0x84
	StatusZDPTimeout              Status = 0x85
	StatusZDPNoMatch              Status = 0x86
	StatusZDPNoEntry              Status = 0x88
	StatusZDPNoDescriptor         Status = 0x89
	StatusZDPInsufficientSpace    Status = 0x8A
	StatusZDPNotPermitted         Status = 0x8B
	StatusZDPTableFull            Status = 0x8C
	StatusZDPNotAuthorized        Status = 0x8D
	StatusSecNoKey                Status = 0xA1
	StatusSecOldFrmCount          Status = 0xA2
	StatusSecMaxFrmCount          Status = 0xA3
	StatusSecCCMFail              Status = 0xA4
	StatusAPSFail                 Status = 0xB1
	StatusAPSTableFull            Status = 0xB2
	StatusAPSIllegalRequest       Status = 0xB3
	StatusAPSInvalidBinding       Status = 0xB4
	StatusAPSUnsupportedAttrib    Status = 0xB5
	StatusAPSNotSupported         Status = 0xB6
	StatusAPSNoACK                Status = 0xB7
	StatusAPSDuplicateEntry       Status = 0xB8
	StatusAPSNoBoundDevice        Status = 0xB9
	StatusAPSNotAllowed           Status = 0xBA
	StatusAPSNotAuthenticated     Status = 0xBB
	StatusNWKInvalidParam         Status = 0xC1
	StatusNWKInvalidRequest       Status = 0xC2
	StatusNWKNotPermitted         Status = 0xC3
	StatusNWKStartupFailure       Status = 0xC4
	StatusNWKAlreadyPresent       Status = 0xC5
	StatusNWKSyncFailure          Status = 0xC6
	StatusNWKTableFull            Status = 0xC7
	StatusNWKUnknownDevice        Status = 0xC8
	StatusNWKUnsupportedAttribute Status = 0xC9
	StatusNWKNoNetworks           Status = 0xCA
	StatusNWKLeaveUnconfirmed     Status = 0xCB
	StatusNWKNoACK                Status = 0xCC
	StatusNWKNoRoute              Status = 0xCD
	StatusMACBeaconLoss           Status = 0xE0
	StatusMACChannelAccessFailure Status = 0xE1
	StatusMACDenied               Status = 0xE2
	StatusMACDisableTRXFailure    Status = 0xE3
	StatusMACFailedSecurityCheck  Status = 0xE4
	StatusMACFrameTooLong         Status = 0xE5
	StatusMACInvalidGTS           Status = 0xE6
	StatusMACInvalidHandle        Status = 0xE7
	StatusMACInvalidParameter     Status = 0xE8
	StatusMACNoACK                Status = 0xE9
	StatusMACNoBeacon             Status = 0xEA
	StatusMACNoData               Status = 0xEB
	StatusMACNoShortAddr          Status = 0xEC
	StatusMACOutOfCap             Status = 0xED
	StatusMACPANIDConflict        Status = 0xEE
	StatusMACRealignment          Status = 0xEF
	StatusMACTransactionExpired   Status = 0xF0
	StatusMACTransactionOverflow  Status = 0xF1
	StatusMACTxActive             Status = 0xF2
	StatusMACUnavailableKey       Status = 0xF3
	StatusMACUnsupportedAttribute Status = 0xF4
	StatusMACUnsupported          Status = 0xF5
	StatusMACScanInProgress       Status = 0xFC
)

var statusNames = map[Status]string{
	0x00: "SUCCESS", 0x01: "FAILURE", 0x02: "INVALID_PARAMETER", 0x09: "NV_ITEM_UNINIT",
	0x0A: "NV_OPER_FAILED", 0x0C: "NV_BAD_ITEM_LEN", 0x10: "MEM_ERROR", 0x11: "BUFFER_FULL",
	0x12: "UNSUPPORTED_MODE", 0x13: "MAC_MEM_ERROR", 0x1A: "MAC_NO_RESOURCES",
	0x80: "ZDP_INV_REQUESTTYPE", 0x81: "ZDP_DEVICE_NOT_FOUND", 0x82: "ZDP_INVALID_EP",
	0x83: "ZDP_NOT_ACTIVE", 0x84: "ZDP_NOT_SUPPORTED", 0x85: "ZDP_TIMEOUT", 0x86: "ZDP_NO_MATCH",
	0x88: "ZDP_NO_ENTRY", 0x89: "ZDP_NO_DESCRIPTOR", 0x8A: "ZDP_INSUFFICIENT_SPACE",
	0x8B: "ZDP_NOT_PERMITTED", 0x8C: "ZDP_TABLE_FULL", 0x8D: "ZDP_NOT_AUTHORIZED",
	0xA1: "SEC_NO_KEY", 0xA2: "SEC_OLD_FRM_COUNT", 0xA3: "SEC_MAX_FRM_COUNT", 0xA4: "SEC_CCM_FAIL",
	0xB1: "APS_FAIL", 0xB2: "APS_TABLE_FULL", 0xB3: "APS_ILLEGAL_REQUEST", 0xB4: "APS_INVALID_BINDING",
	0xB5: "APS_UNSUPPORTED_ATTRIB", 0xB6: "APS_NOT_SUPPORTED", 0xB7: "APS_NO_ACK",
	0xB8: "APS_DUPLICATE_ENTRY", 0xB9: "APS_NO_BOUND_DEVICE", 0xBA: "APS_NOT_ALLOWED",
	0xBB: "APS_NOT_AUTHENTICATED",
	0xC1: "NWK_INVALID_PARAM", 0xC2: "NWK_INVALID_REQUEST", 0xC3: "NWK_NOT_PERMITTED",
	0xC4: "NWK_STARTUP_FAILURE", 0xC5: "NWK_ALREADY_PRESENT", 0xC6: "NWK_SYNC_FAILURE",
	0xC7: "NWK_TABLE_FULL", 0xC8: "NWK_UNKNOWN_DEVICE", 0xC9: "NWK_UNSUPPORTED_ATTRIBUTE",
	0xCA: "NWK_NO_NETWORKS", 0xCB: "NWK_LEAVE_UNCONFIRMED", 0xCC: "NWK_NO_ACK", 0xCD: "NWK_NO_ROUTE",
	0xE0: "MAC_BEACON_LOSS", 0xE1: "MAC_CHANNEL_ACCESS_FAILURE", 0xE2: "MAC_DENIED",
	0xE3: "MAC_DISABLE_TRX_FAILURE", 0xE4: "MAC_FAILED_SECURITY_CHECK", 0xE5: "MAC_FRAME_TOO_LONG",
	0xE6: "MAC_INVALID_GTS", 0xE7: "MAC_INVALID_HANDLE", 0xE8: "MAC_INVALID_PARAMETER",
	0xE9: "MAC_NO_ACK", 0xEA: "MAC_NO_BEACON", 0xEB: "MAC_NO_DATA", 0xEC: "MAC_NO_SHORT_ADDR",
	0xED: "MAC_OUT_OF_CAP", 0xEE: "MAC_PAN_ID_CONFLICT", 0xEF: "MAC_REALIGNMENT",
	0xF0: "MAC_TRANSACTION_EXPIRED", 0xF1: "MAC_TRANSACTION_OVERFLOW", 0xF2: "MAC_TX_ACTIVE",
	0xF3: "MAC_UNAVAILABLE_KEY", 0xF4: "MAC_UNSUPPORTED_ATTRIBUTE", 0xF5: "MAC_UNSUPPORTED",
	0xFC: "MAC_SCAN_IN_PROGRESS",
}

// Name returns the TI name, e.g. "MAC_NO_ACK", or "UNKNOWN".
func (s Status) Name() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "UNKNOWN"
}

// String returns e.g. "MAC_NO_ACK (0xE9)".
func (s Status) String() string { return fmt.Sprintf("%s (0x%02X)", s.Name(), uint8(s)) }

// Error makes a Status usable as an errors.Is target.
func (s Status) Error() string { return "znp: status " + s.String() }

// Err returns nil for StatusSuccess and a *StatusError naming command
// otherwise.
func (s Status) Err(command string) error {
	if s == StatusSuccess {
		return nil
	}
	return &StatusError{Command: command, Status: s}
}

// StatusError is a non-zero status returned for a command.
type StatusError struct {
	Command string // TI name, e.g. "AF_DATA_CONFIRM"
	Status  Status
}

func (e *StatusError) Error() string {
	return "znp: " + e.Command + ": status " + e.Status.String()
}

// Unwrap returns the Status, so errors.Is(err, StatusNWKNoRoute) works.
func (e *StatusError) Unwrap() error { return e.Status }

// RejectedError is the ZNP's "command not recognised" SRSP (subsystem 0): it
// answers a request the firmware does not implement or could not parse.
type RejectedError struct {
	Code    uint8  // 1 invalid subsystem, 2 invalid command id, 3 invalid parameter, 4 invalid length
	Request Header // the rejected request (from its CMD0/CMD1)
}

func (e *RejectedError) Error() string {
	reason := map[uint8]string{1: "invalid subsystem", 2: "invalid command id", 3: "invalid parameter",
		4: "invalid length"}[e.Code]
	if reason == "" {
		reason = fmt.Sprintf("error code %d", e.Code)
	}
	name := ""
	if c, ok := Lookup(e.Request); ok {
		name = " " + c.Name
	}
	return fmt.Sprintf("znp: %v%s: %v: %s", e.Request, name, ErrRPC, reason)
}

// Unwrap returns ErrRPC.
func (e *RejectedError) Unwrap() error { return ErrRPC }

// ParseRPCError returns the RPC error carried by f, or false when f is not
// a well-formed RPC error SRSP. Its Request header says which SREQ failed.
func ParseRPCError(f Frame) (*RejectedError, bool) {
	if f.Type != SRSP || f.Subsystem != RPCError || f.ID != 0 || len(f.Payload) != 3 {
		return nil, false
	}
	return &RejectedError{Code: f.Payload[0], Request: HeaderFromCmd(f.Payload[1], f.Payload[2])}, true
}
