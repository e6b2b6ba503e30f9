package znp

// SYS subsystem (protocol/znp.md §5.1, §8). NV item ids are u16 "id";
// extended items are (sysId, itemId, subId).
var sysCommands = []Command{
	{Name: "SYS_RESET_REQ", Subsystem: SYS, ID: 0x00, Type: AREQ,
		// type: 0 hard (chip) reset, 1 soft reset. Answered by SYS_RESET_IND.
		Request: fields(u8("type"))},
	{Name: "SYS_PING", Subsystem: SYS, ID: 0x01, Type: SREQ,
		// capabilities: bitmap of compiled-in subsystems (§4).
		Response: fields(x16("capabilities"))},
	{Name: "SYS_VERSION", Subsystem: SYS, ID: 0x02, Type: SREQ,
		// 5, 9, 10 or 14 bytes depending on the build (§9).
		Response: fields(u8("transportRev"), u8("product"), u8("majorRel"), u8("minorRel"), u8("maintRel"),
			opt(u32("revision")), opt(u8("bootloaderBuildType")), opt(u32("bootloaderRevision")))},
	{Name: "SYS_SET_EXTADDR", Subsystem: SYS, ID: 0x03, Type: SREQ,
		Request:  fields(ieee("extAddr")),
		Response: fields(status())},
	{Name: "SYS_GET_EXTADDR", Subsystem: SYS, ID: 0x04, Type: SREQ,
		Response: fields(ieee("extAddr"))},
	{Name: "SYS_OSAL_NV_ITEM_INIT", Subsystem: SYS, ID: 0x07, Type: SREQ,
		// status 0x00 existed, 0x09 created, 0x0A failed.
		Request:  fields(x16("id"), u16("itemLen"), u8("initDataLen"), bytesOf("initData", "initDataLen")),
		Response: fields(status())},
	{Name: "SYS_OSAL_NV_READ", Subsystem: SYS, ID: 0x08, Type: SREQ,
		Request:  fields(x16("id"), u8("offset")),
		Response: fields(status(), u8("valueLen"), bytesOf("value", "valueLen"))},
	{Name: "SYS_OSAL_NV_WRITE", Subsystem: SYS, ID: 0x09, Type: SREQ,
		Request:  fields(x16("id"), u8("offset"), u8("valueLen"), bytesOf("value", "valueLen")),
		Response: fields(status())},
	{Name: "SYS_RANDOM", Subsystem: SYS, ID: 0x0C, Type: SREQ,
		Response: fields(u16("value"))},
	{Name: "SYS_STACK_TUNE", Subsystem: SYS, ID: 0x0F, Type: SREQ,
		// operation 0 sets the TX power to value dBm.
		Request:  fields(u8("operation"), i8("value")),
		Response: fields(u8("value"))},
	{Name: "SYS_OSAL_NV_DELETE", Subsystem: SYS, ID: 0x12, Type: SREQ,
		// itemLen must equal the current length.
		Request:  fields(x16("id"), u16("itemLen")),
		Response: fields(status())},
	{Name: "SYS_OSAL_NV_LENGTH", Subsystem: SYS, ID: 0x13, Type: SREQ,
		// length 0: the item does not exist.
		Request:  fields(x16("id")),
		Response: fields(u16("length"))},
	{Name: "SYS_SET_TX_POWER", Subsystem: SYS, ID: 0x14, Type: SREQ,
		// Z-Stack 3.x.0 answers a status; 1.2 and 3.0.x answer the power
		// applied (a signed dBm value in the same byte).
		Request:  fields(i8("txPower")),
		Response: fields(status())},
	{Name: "SYS_OSAL_NV_READ_EXT", Subsystem: SYS, ID: 0x1C, Type: SREQ,
		Request:  fields(x16("id"), u16("offset")),
		Response: fields(status(), u8("valueLen"), bytesOf("value", "valueLen"))},
	{Name: "SYS_OSAL_NV_WRITE_EXT", Subsystem: SYS, ID: 0x1D, Type: SREQ,
		Request:  fields(x16("id"), u16("offset"), u16("valueLen"), bytesOf("value", "valueLen")),
		Response: fields(status())},
	// Extended NV (Z-Stack 3.x.0 only). Status bytes are NV driver codes
	// (§8.1), not Z-Stack statuses, so they are shown as numbers.
	{Name: "SYS_NV_CREATE", Subsystem: SYS, ID: 0x30, Type: SREQ,
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId"), u32("length")),
		Response: fields(u8("status"))},
	{Name: "SYS_NV_DELETE", Subsystem: SYS, ID: 0x31, Type: SREQ,
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId")),
		Response: fields(u8("status"))},
	{Name: "SYS_NV_LENGTH", Subsystem: SYS, ID: 0x32, Type: SREQ,
		// The firmware sends a u32 (herdsman reads only the first byte).
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId")),
		Response: fields(u32("length"))},
	{Name: "SYS_NV_READ", Subsystem: SYS, ID: 0x33, Type: SREQ,
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId"), u16("offset"), u8("length")),
		Response: fields(u8("status"), u8("valueLen"), bytesOf("value", "valueLen"))},
	{Name: "SYS_NV_WRITE", Subsystem: SYS, ID: 0x34, Type: SREQ,
		// offset must be 0 on SimpleLink builds.
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId"), u16("offset"), u8("valueLen"), bytesOf("value", "valueLen")),
		Response: fields(u8("status"))},
	{Name: "SYS_NV_UPDATE", Subsystem: SYS, ID: 0x35, Type: SREQ,
		Request:  fields(u8("sysId"), x16("itemId"), u16("subId"), u8("valueLen"), bytesOf("value", "valueLen")),
		Response: fields(u8("status"))},
	{Name: "SYS_NV_COMPACT", Subsystem: SYS, ID: 0x36, Type: SREQ,
		Request:  fields(u16("threshold")),
		Response: fields(u8("status"))},
	{Name: "SYS_RESET_IND", Subsystem: SYS, ID: 0x80, Type: AREQ,
		// reason: 0 power-up, 1 external, 2 watchdog. The last byte is the
		// maintenance release (herdsman calls it "hwrev").
		Request: fields(u8("reason"), u8("transportRev"), u8("product"), u8("majorRel"), u8("minorRel"), u8("maintRel"))},
}

// rpcCommands holds the RPC error SRSP (subsystem 0) that answers an SREQ the
// ZNP does not implement: errorCode 1 invalid subsystem, 2 invalid command
// id, 3 invalid parameter, 4 invalid length; then the rejected CMD0/CMD1.
var rpcCommands = []Command{
	{Name: "RPC_CMD_NOT_RECOGNIZED", Subsystem: RPCError, ID: 0x00, Type: SRSP,
		Response: fields(u8("errorCode"), x8("reqCmd0"), x8("reqCmd1"))},
}

// SYS commands.
var (
	SysResetReq         = mustCommand("SYS_RESET_REQ")
	SysPing             = mustCommand("SYS_PING")
	SysVersion          = mustCommand("SYS_VERSION")
	SysSetExtAddr       = mustCommand("SYS_SET_EXTADDR")
	SysGetExtAddr       = mustCommand("SYS_GET_EXTADDR")
	SysOSALNVItemInit   = mustCommand("SYS_OSAL_NV_ITEM_INIT")
	SysOSALNVRead       = mustCommand("SYS_OSAL_NV_READ")
	SysOSALNVWrite      = mustCommand("SYS_OSAL_NV_WRITE")
	SysRandom           = mustCommand("SYS_RANDOM")
	SysStackTune        = mustCommand("SYS_STACK_TUNE")
	SysOSALNVDelete     = mustCommand("SYS_OSAL_NV_DELETE")
	SysOSALNVLength     = mustCommand("SYS_OSAL_NV_LENGTH")
	SysSetTxPower       = mustCommand("SYS_SET_TX_POWER")
	SysOSALNVReadExt    = mustCommand("SYS_OSAL_NV_READ_EXT")
	SysOSALNVWriteExt   = mustCommand("SYS_OSAL_NV_WRITE_EXT")
	SysNVCreate         = mustCommand("SYS_NV_CREATE")
	SysNVDelete         = mustCommand("SYS_NV_DELETE")
	SysNVLength         = mustCommand("SYS_NV_LENGTH")
	SysNVRead           = mustCommand("SYS_NV_READ")
	SysNVWrite          = mustCommand("SYS_NV_WRITE")
	SysNVUpdate         = mustCommand("SYS_NV_UPDATE")
	SysNVCompact        = mustCommand("SYS_NV_COMPACT")
	SysResetInd         = mustCommand("SYS_RESET_IND")
	RPCCmdNotRecognized = mustCommand("RPC_CMD_NOT_RECOGNIZED")
)
