package znp

// UTIL subsystem (protocol/znp.md §5.2).
var utilCommands = []Command{
	{Name: "UTIL_GET_DEVICE_INFO", Subsystem: UTIL, ID: 0x00, Type: SREQ,
		// deviceType: bitmap of roles the image supports (bit0 coordinator,
		// bit1 router, bit2 end device); deviceState: §7.3; assocDevices:
		// NWK addresses of direct children.
		Response: fields(status(), ieee("ieeeAddr"), x16("shortAddr"), x8("deviceType"), u8("deviceState"),
			u16s("assocDevices"))},
	{Name: "UTIL_SET_PANID", Subsystem: UTIL, ID: 0x02, Type: SREQ,
		Request:  fields(x16("panId")),
		Response: fields(status())},
	{Name: "UTIL_SET_CHANNELS", Subsystem: UTIL, ID: 0x03, Type: SREQ,
		Request:  fields(x32("channels")),
		Response: fields(status())},
	{Name: "UTIL_SET_SECLEVEL", Subsystem: UTIL, ID: 0x04, Type: SREQ,
		Request:  fields(u8("secLevel")),
		Response: fields(status())},
	{Name: "UTIL_SET_PRECFGKEY", Subsystem: UTIL, ID: 0x05, Type: SREQ,
		Request:  fields(fixed("preCfgKey", 16)),
		Response: fields(status())},
	{Name: "UTIL_CALLBACK_SUB_CMD", Subsystem: UTIL, ID: 0x06, Type: SREQ,
		// subsystemId: MT subsystem id << 8 (0xFFFF all); action 1 enables.
		Request:  fields(x16("subsystemId"), u8("action")),
		Response: fields(status())},
	{Name: "UTIL_LED_CONTROL", Subsystem: UTIL, ID: 0x0A, Type: SREQ,
		// Koenkk 3.x.0 builds: mode 0 off, 5 disable permanently (ledId 0xFF).
		Request:  fields(u8("ledId"), u8("mode")),
		Response: fields(status())},
	{Name: "UTIL_ADDRMGR_EXT_ADDR_LOOKUP", Subsystem: UTIL, ID: 0x40, Type: SREQ,
		Request:  fields(ieee("extAddr")),
		Response: fields(x16("nwkAddr"))},
	{Name: "UTIL_ADDRMGR_NWK_ADDR_LOOKUP", Subsystem: UTIL, ID: 0x41, Type: SREQ,
		Request:  fields(x16("nwkAddr")),
		Response: fields(ieee("extAddr"))},
	{Name: "UTIL_ASSOC_COUNT", Subsystem: UTIL, ID: 0x48, Type: SREQ,
		Request:  fields(u8("startRelation"), u8("endRelation")),
		Response: fields(u16("count"))},
	{Name: "UTIL_ASSOC_FIND_DEVICE", Subsystem: UTIL, ID: 0x49, Type: SREQ,
		// device: the raw associated-device record, 28 bytes unaligned or
		// 36 aligned (zigpy uses the length to detect struct alignment).
		Request:  fields(u8("number")),
		Response: fields(rest("device"))},
	{Name: "UTIL_ASSOC_GET_WITH_ADDRESS", Subsystem: UTIL, ID: 0x4A, Type: SREQ,
		// device: raw associated-device record starting with nwkAddr u16;
		// nwkAddr 0xFFFE means not found.
		Request:  fields(ieee("extAddr"), x16("nwkAddr")),
		Response: fields(rest("device"))},
	{Name: "UTIL_ASSOC_REMOVE", Subsystem: UTIL, ID: 0x63, Type: SREQ,
		// Koenkk firmware only.
		Request:  fields(ieee("extAddr")),
		Response: fields(status())},
	{Name: "UTIL_ASSOC_ADD", Subsystem: UTIL, ID: 0x64, Type: SREQ,
		// Koenkk firmware only; the IEEE address comes first (§16).
		Request:  fields(ieee("extAddr"), x16("nwkAddr"), u8("nodeRelation")),
		Response: fields(status())},
}

// UTIL commands.
var (
	UtilGetDeviceInfo        = mustCommand("UTIL_GET_DEVICE_INFO")
	UtilSetPanID             = mustCommand("UTIL_SET_PANID")
	UtilSetChannels          = mustCommand("UTIL_SET_CHANNELS")
	UtilSetSecLevel          = mustCommand("UTIL_SET_SECLEVEL")
	UtilSetPreCfgKey         = mustCommand("UTIL_SET_PRECFGKEY")
	UtilCallbackSubCmd       = mustCommand("UTIL_CALLBACK_SUB_CMD")
	UtilLEDControl           = mustCommand("UTIL_LED_CONTROL")
	UtilAddrMgrExtAddrLookup = mustCommand("UTIL_ADDRMGR_EXT_ADDR_LOOKUP")
	UtilAddrMgrNwkAddrLookup = mustCommand("UTIL_ADDRMGR_NWK_ADDR_LOOKUP")
	UtilAssocCount           = mustCommand("UTIL_ASSOC_COUNT")
	UtilAssocFindDevice      = mustCommand("UTIL_ASSOC_FIND_DEVICE")
	UtilAssocGetWithAddress  = mustCommand("UTIL_ASSOC_GET_WITH_ADDRESS")
	UtilAssocRemove          = mustCommand("UTIL_ASSOC_REMOVE")
	UtilAssocAdd             = mustCommand("UTIL_ASSOC_ADD")
)
