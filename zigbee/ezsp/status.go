package ezsp

import "fmt"

// sl_status values (ezsp.md §8.1).
const (
	SLOK                     uint32 = 0x0000
	SLFail                   uint32 = 0x0001
	SLInvalidState           uint32 = 0x0002
	SLNotReady               uint32 = 0x0003
	SLBusy                   uint32 = 0x0004
	SLTimeout                uint32 = 0x0007
	SLNotAvailable           uint32 = 0x000E
	SLNotSupported           uint32 = 0x000F
	SLNetworkUp              uint32 = 0x0015
	SLNetworkDown            uint32 = 0x0016
	SLNotJoined              uint32 = 0x0017
	SLAllocationFailed       uint32 = 0x0019
	SLFull                   uint32 = 0x001C
	SLInvalidParameter       uint32 = 0x0021
	SLInvalidIndex           uint32 = 0x0027
	SLNotFound               uint32 = 0x002D
	SLMessageTooLong         uint32 = 0x0038
	SLDeliveryFailed         uint32 = 0x0C02
	SLMaxMessageLimitReached uint32 = 0x0C03
	SLNetworkOpened          uint32 = 0x0C18
	SLNetworkClosed          uint32 = 0x0C19
	SLEZSPError              uint32 = 0x0C1E
	SLNoAPSAck               uint32 = 0x0C20
)

// EmberStatus values (v13 and older, ezsp.md §8.2).
const (
	EmberSuccess                uint8 = 0x00
	EmberErrFatal               uint8 = 0x01
	EmberBadArgument            uint8 = 0x02
	EmberNoBuffers              uint8 = 0x18
	EmberDeliveryFailed         uint8 = 0x66
	EmberInvalidCall            uint8 = 0x70
	EmberMaxMessageLimitReached uint8 = 0x72
	EmberMessageTooLong         uint8 = 0x74
	EmberNetworkUp              uint8 = 0x90
	EmberNetworkDown            uint8 = 0x91
	EmberNotJoined              uint8 = 0x93
	EmberNetworkOpened          uint8 = 0x9C
	EmberNetworkClosed          uint8 = 0x9D
	EmberNetworkBusy            uint8 = 0xA1
)

// EzspStatus values (ezsp.md §8.3).
const (
	EzspSuccess            uint8 = 0x00
	EzspErrVersionNotSet   uint8 = 0x30
	EzspErrInvalidFrameID  uint8 = 0x31
	EzspErrWrongDirection  uint8 = 0x32
	EzspErrTruncated       uint8 = 0x33
	EzspErrOverflow        uint8 = 0x34
	EzspErrOutOfMemory     uint8 = 0x35
	EzspErrInvalidValue    uint8 = 0x36
	EzspErrInvalidID       uint8 = 0x37
	EzspErrInvalidCall     uint8 = 0x38
	EzspErrNoResponse      uint8 = 0x39
	EzspErrCommandTooLong  uint8 = 0x40
	EzspErrQueueFull       uint8 = 0x41
	EzspErrCommandFiltered uint8 = 0x42
)

var slNames = map[uint32]string{
	0x0000: "OK", 0x0001: "FAIL", 0x0002: "INVALID_STATE", 0x0003: "NOT_READY", 0x0004: "BUSY",
	0x0007: "TIMEOUT", 0x000E: "NOT_AVAILABLE", 0x000F: "NOT_SUPPORTED", 0x0015: "NETWORK_UP",
	0x0016: "NETWORK_DOWN", 0x0017: "NOT_JOINED", 0x0018: "NO_BEACONS", 0x0019: "ALLOCATION_FAILED",
	0x001C: "FULL", 0x0021: "INVALID_PARAMETER", 0x0027: "INVALID_INDEX", 0x002D: "NOT_FOUND",
	0x002E: "ALREADY_EXISTS", 0x0038: "MESSAGE_TOO_LONG", 0x0040: "MAC_NO_ACK_RECEIVED",
	0x0041: "MAC_INDIRECT_TIMEOUT", 0x0C02: "ZIGBEE_DELIVERY_FAILED", 0x0C03: "ZIGBEE_MAX_MESSAGE_LIMIT_REACHED",
	0x0C05: "ZIGBEE_ADDRESS_TABLE_ENTRY_IS_ACTIVE", 0x0C06: "ZIGBEE_MOVE_FAILED", 0x0C07: "ZIGBEE_NODE_ID_CHANGED",
	0x0C08: "ZIGBEE_INVALID_SECURITY_LEVEL", 0x0C0A: "ZIGBEE_APS_ENCRYPTION_ERROR", 0x0C0B: "ZIGBEE_SECURITY_STATE_NOT_SET",
	0x0C13: "ZIGBEE_SOURCE_ROUTE_FAILURE", 0x0C14: "ZIGBEE_MANY_TO_ONE_ROUTE_FAILURE",
	0x0C15: "ZIGBEE_STACK_AND_HARDWARE_MISMATCH", 0x0C16: "ZIGBEE_PAN_ID_CHANGED", 0x0C17: "ZIGBEE_CHANNEL_CHANGED",
	0x0C18: "ZIGBEE_NETWORK_OPENED", 0x0C19: "ZIGBEE_NETWORK_CLOSED", 0x0C1A: "ZIGBEE_RECEIVED_KEY_IN_THE_CLEAR",
	0x0C1B: "ZIGBEE_NO_NETWORK_KEY_RECEIVED", 0x0C1D: "ZIGBEE_PRECONFIGURED_KEY_REQUIRED", 0x0C1E: "ZIGBEE_EZSP_ERROR",
	0x0C20: "ZIGBEE_NO_APS_ACK", 0x0C26: "ZIGBEE_SEND_UNICAST_NO_ROUTE",
}

var emberNames = map[uint8]string{
	0x00: "SUCCESS", 0x01: "ERR_FATAL", 0x02: "BAD_ARGUMENT", 0x18: "NO_BUFFERS", 0x40: "MAC_NO_ACK_RECEIVED",
	0x42: "MAC_INDIRECT_TIMEOUT", 0x66: "DELIVERY_FAILED", 0x70: "INVALID_CALL", 0x72: "MAX_MESSAGE_LIMIT_REACHED",
	0x74: "MESSAGE_TOO_LONG", 0x90: "NETWORK_UP", 0x91: "NETWORK_DOWN", 0x93: "NOT_JOINED", 0x94: "JOIN_FAILED",
	0x99: "NODE_ID_CHANGED", 0x9A: "PAN_ID_CHANGED", 0x9B: "CHANNEL_CHANGED", 0x9C: "NETWORK_OPENED",
	0x9D: "NETWORK_CLOSED", 0xA1: "NETWORK_BUSY", 0xA8: "SECURITY_STATE_NOT_SET", 0xA9: "SOURCE_ROUTE_FAILURE",
	0xAA: "MANY_TO_ONE_ROUTE_FAILURE", 0xB4: "TABLE_FULL", 0xB5: "LIBRARY_NOT_PRESENT",
}

var ezspNames = map[uint8]string{
	0x00: "SUCCESS", 0x30: "ERROR_VERSION_NOT_SET", 0x31: "ERROR_INVALID_FRAME_ID", 0x32: "ERROR_WRONG_DIRECTION",
	0x33: "ERROR_TRUNCATED", 0x34: "ERROR_OVERFLOW", 0x35: "ERROR_OUT_OF_MEMORY", 0x36: "ERROR_INVALID_VALUE",
	0x37: "ERROR_INVALID_ID", 0x38: "ERROR_INVALID_CALL", 0x39: "ERROR_NO_RESPONSE", 0x40: "ERROR_COMMAND_TOO_LONG",
	0x41: "ERROR_QUEUE_FULL", 0x42: "ERROR_COMMAND_FILTERED", 0x49: "ERROR_UNSUPPORTED_CONTROL", 0x4A: "ERROR_UNSECURE_FRAME",
}

// emberToSL maps v13 EmberStatus codes to sl_status (herdsman's mapping,
// ezsp.md §8.2).
var emberToSL = map[uint8]uint32{
	0x01: SLFail, 0x02: SLInvalidParameter, 0x18: SLAllocationFailed, 0x40: 0x0040, 0x42: 0x0041,
	0x66: SLDeliveryFailed, 0x70: SLInvalidState, 0x72: SLMaxMessageLimitReached, 0x74: SLMessageTooLong,
	0x90: SLNetworkUp, 0x91: SLNetworkDown, 0x93: SLNotJoined, 0x99: 0x0C07, 0x9A: 0x0C16, 0x9B: 0x0C17,
	0x9C: SLNetworkOpened, 0x9D: SLNetworkClosed, 0xA1: SLBusy, 0xA8: 0x0C0B, 0xA9: 0x0C13, 0xAA: 0x0C14,
	0xB4: SLFull, 0xB5: SLNotAvailable,
}

// slToEmber is the reverse of emberToSL.
var slToEmber = func() map[uint32]uint8 {
	m := map[uint32]uint8{}
	for e, s := range emberToSL {
		m[s] = e
	}
	return m
}()

// SLStatusName names an sl_status.
func SLStatusName(s uint32) string {
	if n, ok := slNames[s]; ok {
		return n
	}
	return fmt.Sprintf("SL_STATUS_0x%04X", s)
}

// EmberStatusName names a v13 EmberStatus.
func EmberStatusName(s uint8) string {
	if n, ok := emberNames[s]; ok {
		return n
	}
	return fmt.Sprintf("EMBER_0x%02X", s)
}

// EzspStatusName names an EzspStatus.
func EzspStatusName(s uint8) string {
	if n, ok := ezspNames[s]; ok {
		return n
	}
	return fmt.Sprintf("EZSP_0x%02X", s)
}

// StatusName names a status as decoded from a KindStatus (ezsp false) or
// KindEzspStatus (ezsp true) field of protocol version v.
func StatusName(s uint32, v uint8, ezsp bool) string {
	switch {
	case v >= 14:
		return SLStatusName(s)
	case ezsp:
		return EzspStatusName(uint8(s))
	}
	return EmberStatusName(uint8(s))
}

// ToSL converts a status decoded from a KindStatus field of version v to
// sl_status, so callers compare one set of codes.
func ToSL(s uint32, v uint8) uint32 {
	if v >= 14 || s == 0 {
		return s
	}
	if m, ok := emberToSL[uint8(s)]; ok {
		return m
	}
	return s
}

// FromSL converts an sl_status to what a KindStatus field of version v
// carries (the emulated NCP's direction).
func FromSL(s uint32, v uint8) uint32 {
	if v >= 14 || s == 0 {
		return s
	}
	if e, ok := slToEmber[s]; ok {
		return uint32(e)
	}
	return uint32(EmberErrFatal)
}
