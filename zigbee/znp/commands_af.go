package znp

// AF subsystem (protocol/znp.md §5.3, §12). Address modes: 0 none, 1 group,
// 2 NWK, 3 IEEE, 15 broadcast.
var afCommands = []Command{
	{Name: "AF_REGISTER", Subsystem: AF, ID: 0x00, Type: SREQ,
		// status 0xB8 APS_DUPLICATE_ENTRY: the endpoint already exists.
		Request: fields(u8("endpoint"), x16("profileId"), x16("deviceId"), u8("deviceVersion"), u8("latencyReq"),
			u16s("inClusters"), u16s("outClusters")),
		Response: fields(status())},
	{Name: "AF_DATA_REQUEST", Subsystem: AF, ID: 0x01, Type: SREQ,
		// transId is echoed by AF_DATA_CONFIRM; options: 0x10 APS ACK,
		// 0x20 suppress route discovery, 0x40 APS security.
		Request: fields(x16("dstAddr"), u8("dstEndpoint"), u8("srcEndpoint"), x16("clusterId"), u8("transId"),
			x8("options"), u8("radius"), u8("dataLen"), bytesOf("data", "dataLen")),
		Response: fields(status())},
	{Name: "AF_DATA_REQUEST_EXT", Subsystem: AF, ID: 0x02, Type: SREQ,
		// dstAddr: 8 bytes, the NWK address or group in the first two for
		// modes 1, 2 and 15. dstPanId 0 = own PAN.
		Request: fields(u8("dstAddrMode"), addr("dstAddr", "dstAddrMode"), u8("dstEndpoint"), x16("dstPanId"),
			u8("srcEndpoint"), x16("clusterId"), u8("transId"), x8("options"), u8("radius"),
			u16("dataLen"), bytesOf("data", "dataLen")),
		Response: fields(status())},
	{Name: "AF_DATA_REQUEST_SRC_RTG", Subsystem: AF, ID: 0x03, Type: SREQ,
		Request: fields(x16("dstAddr"), u8("dstEndpoint"), u8("srcEndpoint"), x16("clusterId"), u8("transId"),
			x8("options"), u8("radius"), u16s("relays"), u8("dataLen"), bytesOf("data", "dataLen")),
		Response: fields(status())},
	{Name: "AF_DELETE", Subsystem: AF, ID: 0x04, Type: SREQ,
		Request:  fields(u8("endpoint")),
		Response: fields(status())},
	{Name: "AF_INTER_PAN_CTL", Subsystem: AF, ID: 0x10, Type: SREQ,
		// command: 0 clear, 1 set channel, 2 register endpoint, 3 check;
		// data: the command's argument (channel or endpoint).
		Request:  fields(u8("command"), rest("data")),
		Response: fields(status())},
	{Name: "AF_DATA_STORE", Subsystem: AF, ID: 0x11, Type: SREQ,
		Request:  fields(u16("index"), u8("dataLen"), bytesOf("data", "dataLen")),
		Response: fields(status())},
	{Name: "AF_DATA_RETRIEVE", Subsystem: AF, ID: 0x12, Type: SREQ,
		// timestamp identifies the AF_INCOMING_MSG_EXT; index is the byte
		// offset; length 0 frees the buffer.
		Request:  fields(u32("timestamp"), u16("index"), u8("length")),
		Response: fields(status(), u8("dataLen"), bytesOf("data", "dataLen"))},
	{Name: "AF_APSF_CONFIG_SET", Subsystem: AF, ID: 0x13, Type: SREQ,
		Request:  fields(u8("endpoint"), u8("frameDelay"), u8("windowSize")),
		Response: fields(status())},
	{Name: "AF_DATA_CONFIRM", Subsystem: AF, ID: 0x80, Type: AREQ,
		Request: fields(status(), u8("endpoint"), u8("transId"))},
	{Name: "AF_INCOMING_MSG", Subsystem: AF, ID: 0x81, Type: AREQ,
		// macSrcAddr and radius: Z-Stack 3.x and Koenkk 1.2 builds only.
		Request: fields(x16("groupId"), x16("clusterId"), x16("srcAddr"), u8("srcEndpoint"), u8("dstEndpoint"),
			u8("wasBroadcast"), u8("linkQuality"), u8("securityUse"), u32("timestamp"), u8("transSeqNum"),
			u8("dataLen"), bytesOf("data", "dataLen"), opt(x16("macSrcAddr")), opt(u8("radius")))},
	{Name: "AF_INCOMING_MSG_EXT", Subsystem: AF, ID: 0x82, Type: AREQ,
		// When the message does not fit in one frame the data is left out
		// (dataOmitted) and must be pulled with AF_DATA_RETRIEVE.
		Request: fields(x16("groupId"), x16("clusterId"), u8("srcAddrMode"), addr("srcAddr", "srcAddrMode"),
			u8("srcEndpoint"), x16("srcPanId"), u8("dstEndpoint"), u8("wasBroadcast"), u8("linkQuality"),
			u8("securityUse"), u32("timestamp"), u8("transSeqNum"), u16("dataLen"),
			Field{Name: "data", Kind: KindOmittable, Ref: "dataLen", Flag: "dataOmitted"},
			opt(x16("macSrcAddr")), opt(u8("radius")))},
	{Name: "AF_REFLECT_ERROR", Subsystem: AF, ID: 0x83, Type: AREQ,
		Request: fields(status(), u8("endpoint"), u8("transId"), u8("dstAddrMode"), x16("dstAddr"))},
}

// AF commands.
var (
	AFRegister          = mustCommand("AF_REGISTER")
	AFDataRequest       = mustCommand("AF_DATA_REQUEST")
	AFDataRequestExt    = mustCommand("AF_DATA_REQUEST_EXT")
	AFDataRequestSrcRtg = mustCommand("AF_DATA_REQUEST_SRC_RTG")
	AFDelete            = mustCommand("AF_DELETE")
	AFInterPanCtl       = mustCommand("AF_INTER_PAN_CTL")
	AFDataStore         = mustCommand("AF_DATA_STORE")
	AFDataRetrieve      = mustCommand("AF_DATA_RETRIEVE")
	AFAPSFConfigSet     = mustCommand("AF_APSF_CONFIG_SET")
	AFDataConfirm       = mustCommand("AF_DATA_CONFIRM")
	AFIncomingMsg       = mustCommand("AF_INCOMING_MSG")
	AFIncomingMsgExt    = mustCommand("AF_INCOMING_MSG_EXT")
	AFReflectError      = mustCommand("AF_REFLECT_ERROR")
)
