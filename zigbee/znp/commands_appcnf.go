package znp

import "time"

// APP_CNF subsystem, Z-Stack 3.x only (protocol/znp.md §5.6).
var appCnfCommands = []Command{
	{Name: "APP_CNF_SET_ALLOWREJOIN_TC_POLICY", Subsystem: APPCNF, ID: 0x03, Type: SREQ,
		Request: fields(u8("allowRejoin")), Response: fields(status())},
	{Name: "APP_CNF_BDB_ADD_INSTALLCODE", Subsystem: APPCNF, ID: 0x04, Type: SREQ,
		// installCodeFormat 1: install code + CRC, 2: derived key.
		Request:  fields(u8("installCodeFormat"), ieee("ieeeAddr"), rest("installCode")),
		Response: fields(status())},
	{Name: "APP_CNF_BDB_START_COMMISSIONING", Subsystem: APPCNF, ID: 0x05, Type: SREQ,
		// mode bitmask: 0x01 touchlink, 0x02 steering, 0x04 formation,
		// 0x08 finding & binding. The SRSP can take seconds (§3.1).
		Request: fields(x8("mode")), Response: fields(status()),
		SRSPTimeout: 40 * time.Second},
	{Name: "APP_CNF_BDB_SET_JOINUSESINSTALLCODEKEY", Subsystem: APPCNF, ID: 0x06, Type: SREQ,
		Request: fields(u8("value")), Response: fields(status())},
	{Name: "APP_CNF_BDB_SET_ACTIVE_DEFAULT_CENTRALIZED_KEY", Subsystem: APPCNF, ID: 0x07, Type: SREQ,
		Request: fields(u8("useGlobal"), fixed("installCode", 18)), Response: fields(status())},
	{Name: "APP_CNF_BDB_SET_CHANNEL", Subsystem: APPCNF, ID: 0x08, Type: SREQ,
		Request: fields(u8("isPrimary"), x32("channelMask")), Response: fields(status())},
	{Name: "APP_CNF_BDB_SET_TC_REQUIRE_KEY_EXCHANGE", Subsystem: APPCNF, ID: 0x09, Type: SREQ,
		Request: fields(u8("value")), Response: fields(status())},
	{Name: "APP_CNF_SET_NWK_FRAME_COUNTER", Subsystem: APPCNF, ID: 0xFF, Type: SREQ,
		// UNVERIFIED which images implement it (§17).
		Request: fields(u32("frameCounter")), Response: fields(status())},
	{Name: "APP_CNF_BDB_COMMISSIONING_NOTIFICATION", Subsystem: APPCNF, ID: 0x80, Type: AREQ,
		// status is a BDB code: 0 success, 1 in progress, 2 no network,
		// 8 formation failure, 13 network restored, 14 failure.
		Request: fields(u8("status"), x8("mode"), x8("remainingModes"))},
}

// APP_CNF commands.
var (
	AppCnfSetAllowRejoinTCPolicy     = mustCommand("APP_CNF_SET_ALLOWREJOIN_TC_POLICY")
	AppCnfBDBAddInstallCode          = mustCommand("APP_CNF_BDB_ADD_INSTALLCODE")
	AppCnfBDBStartCommissioning      = mustCommand("APP_CNF_BDB_START_COMMISSIONING")
	AppCnfBDBSetJoinUsesInstallCode  = mustCommand("APP_CNF_BDB_SET_JOINUSESINSTALLCODEKEY")
	AppCnfBDBSetActiveDefaultKey     = mustCommand("APP_CNF_BDB_SET_ACTIVE_DEFAULT_CENTRALIZED_KEY")
	AppCnfBDBSetChannel              = mustCommand("APP_CNF_BDB_SET_CHANNEL")
	AppCnfBDBSetTCRequireKeyExchange = mustCommand("APP_CNF_BDB_SET_TC_REQUIRE_KEY_EXCHANGE")
	AppCnfSetNwkFrameCounter         = mustCommand("APP_CNF_SET_NWK_FRAME_COUNTER")
	AppCnfBDBCommissioningNotify     = mustCommand("APP_CNF_BDB_COMMISSIONING_NOTIFICATION")
)
