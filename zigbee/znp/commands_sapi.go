package znp

// SAPI (Simple API) subsystem (protocol/znp.md §5.7). Z-Stack 1.2 needs it to
// read and write keys.
var sapiCommands = []Command{
	{Name: "ZB_READ_CONFIGURATION", Subsystem: SAPI, ID: 0x04, Type: SREQ,
		// configId: the low byte of an NV id below 0x100.
		Request:  fields(x8("configId")),
		Response: fields(status(), x8("configId"), u8("valueLen"), bytesOf("value", "valueLen"))},
	{Name: "ZB_WRITE_CONFIGURATION", Subsystem: SAPI, ID: 0x05, Type: SREQ,
		// No status byte in the request (zigpy declares one; §16).
		Request:  fields(x8("configId"), u8("valueLen"), bytesOf("value", "valueLen")),
		Response: fields(status())},
	{Name: "ZB_GET_DEVICE_INFO", Subsystem: SAPI, ID: 0x06, Type: SREQ,
		// param: 0 state, 1 IEEE, 2 short, 3 parent short, 4 parent IEEE,
		// 5 channel, 6 PAN id, 7 ext PAN id; value is always 8 bytes.
		Request:  fields(u8("param")),
		Response: fields(u8("param"), fixed("value", 8))},
	{Name: "ZB_PERMIT_JOINING_REQUEST", Subsystem: SAPI, ID: 0x08, Type: SREQ,
		Request: fields(x16("destination"), u8("timeout")), Response: fields(status())},
	{Name: "ZB_SYSTEM_RESET", Subsystem: SAPI, ID: 0x09, Type: AREQ,
		// Chip reset, answered by SYS_RESET_IND.
		Request: fields()},
}

// SAPI commands.
var (
	ZBReadConfiguration    = mustCommand("ZB_READ_CONFIGURATION")
	ZBWriteConfiguration   = mustCommand("ZB_WRITE_CONFIGURATION")
	ZBGetDeviceInfo        = mustCommand("ZB_GET_DEVICE_INFO")
	ZBPermitJoiningRequest = mustCommand("ZB_PERMIT_JOINING_REQUEST")
	ZBSystemReset          = mustCommand("ZB_SYSTEM_RESET")
)
