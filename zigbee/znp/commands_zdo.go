package znp

import "time"

// ZDO subsystem (protocol/znp.md §5.4, §5.5). A request's SRSP status only
// says the request was queued; the over-the-air answer is the matching
// 0x80|cluster callback. Callback statuses are ZDP statuses (0x80–0x8D).

// nodeDescriptor is the 13-byte node descriptor (§7.4).
var nodeDescriptor = fields(
	bits("flags0", Bits{"logicalType", 0, 3}, Bits{"complexDescAvail", 3, 1}, Bits{"userDescAvail", 4, 1},
		Bits{"reserved", 5, 3}),
	bits("flags1", Bits{"apsFlags", 0, 3}, Bits{"frequencyBand", 3, 5}),
	x8("macCapabilities"), hex16("manufacturerCode"), u8("maxBufferSize"), u16("maxInTransferSize"),
	hex16("serverMask"), u16("maxOutTransferSize"), x8("descriptorCapabilities"))

// simpleDescriptor is the simple descriptor of an endpoint.
var simpleDescriptor = fields(
	u8("endpoint"), hex16("profileId"), hex16("deviceId"), u8("deviceVersion"),
	u16s("inClusters"), u16s("outClusters"))

// neighbor is one 22-byte Mgmt_Lqi_rsp record.
var neighbor = fields(
	ieee("extPanId"), ieee("extAddr"), hex16("nwkAddr"),
	// deviceType 0 coordinator, 1 router, 2 end device; relationship 0
	// parent, 1 child, 2 sibling, 3 none, 4 previous child.
	bits("flags", Bits{"deviceType", 0, 2}, Bits{"rxOnWhenIdle", 2, 2}, Bits{"relationship", 4, 3},
		Bits{"flagsReserved", 7, 1}),
	bits("permitJoin", Bits{"permitJoining", 0, 2}, Bits{"permitJoinReserved", 2, 6}),
	u8("depth"), u8("lqi"))

// route is one Mgmt_Rtg_rsp record.
var route = fields(hex16("dstAddr"), x8("routeStatus"), hex16("nextHop"))

// binding is one Mgmt_Bind_rsp record: a group (mode 1) or IEEE + endpoint.
var binding = fields(
	ieee("srcAddr"), u8("srcEndpoint"), hex16("clusterId"), u8("dstAddrMode"),
	Field{Name: "dstAddr", Kind: KindU16, Display: DisplayHex, If: groupMode},
	Field{Name: "dstAddr", Kind: KindIEEE, If: notGroupMode},
	Field{Name: "dstEndpoint", Kind: KindU8, If: notGroupMode})

func groupMode(p Params) bool    { return p.uint("dstAddrMode") == 1 }
func notGroupMode(p Params) bool { return p.uint("dstAddrMode") != 1 }

// bindRequest is the layout of ZDO_BIND_REQ and ZDO_UNBIND_REQ: dst is
// always 8 bytes (a group id in the first two for mode 1).
func bindRequest() []Field {
	return fields(x16("dstAddr"), ieee("srcAddr"), u8("srcEndpoint"), x16("clusterId"), u8("dstMode"),
		addr("dst", "dstMode"), u8("dstEndpoint"))
}

// descRequest is the layout of the descriptor requests.
func descRequest() []Field { return fields(x16("dstAddr"), x16("nwkAddrOfInterest")) }

// srcStatus is the layout of callbacks that carry only a status.
func srcStatus() []Field { return fields(x16("srcAddr"), status()) }

var zdoCommands = []Command{
	// Requests.
	{Name: "ZDO_NWK_ADDR_REQ", Subsystem: ZDO, ID: 0x00, Type: SREQ,
		// reqType 0 single, 1 extended (with children). Broadcast.
		Request:  fields(ieee("ieeeAddr"), u8("reqType"), u8("startIndex")),
		Response: fields(status())},
	{Name: "ZDO_IEEE_ADDR_REQ", Subsystem: ZDO, ID: 0x01, Type: SREQ,
		Request:  fields(x16("shortAddr"), u8("reqType"), u8("startIndex")),
		Response: fields(status())},
	{Name: "ZDO_NODE_DESC_REQ", Subsystem: ZDO, ID: 0x02, Type: SREQ,
		Request: descRequest(), Response: fields(status())},
	{Name: "ZDO_POWER_DESC_REQ", Subsystem: ZDO, ID: 0x03, Type: SREQ,
		Request: descRequest(), Response: fields(status())},
	{Name: "ZDO_SIMPLE_DESC_REQ", Subsystem: ZDO, ID: 0x04, Type: SREQ,
		Request:  fields(x16("dstAddr"), x16("nwkAddrOfInterest"), u8("endpoint")),
		Response: fields(status())},
	{Name: "ZDO_ACTIVE_EP_REQ", Subsystem: ZDO, ID: 0x05, Type: SREQ,
		Request: descRequest(), Response: fields(status())},
	{Name: "ZDO_MATCH_DESC_REQ", Subsystem: ZDO, ID: 0x06, Type: SREQ,
		Request: fields(x16("dstAddr"), x16("nwkAddrOfInterest"), x16("profileId"),
			u16s("inClusters"), u16s("outClusters")),
		Response: fields(status())},
	{Name: "ZDO_BIND_REQ", Subsystem: ZDO, ID: 0x21, Type: SREQ,
		Request: bindRequest(), Response: fields(status())},
	{Name: "ZDO_UNBIND_REQ", Subsystem: ZDO, ID: 0x22, Type: SREQ,
		Request: bindRequest(), Response: fields(status())},
	{Name: "ZDO_MGMT_LQI_REQ", Subsystem: ZDO, ID: 0x31, Type: SREQ,
		Request: fields(x16("dstAddr"), u8("startIndex")), Response: fields(status())},
	{Name: "ZDO_MGMT_RTG_REQ", Subsystem: ZDO, ID: 0x32, Type: SREQ,
		Request: fields(x16("dstAddr"), u8("startIndex")), Response: fields(status())},
	{Name: "ZDO_MGMT_BIND_REQ", Subsystem: ZDO, ID: 0x33, Type: SREQ,
		Request: fields(x16("dstAddr"), u8("startIndex")), Response: fields(status())},
	{Name: "ZDO_MGMT_LEAVE_REQ", Subsystem: ZDO, ID: 0x34, Type: SREQ,
		// removeChildrenRejoin: bit0 rejoin, bit1 remove children (MT order).
		Request:  fields(x16("dstAddr"), ieee("deviceAddr"), x8("removeChildrenRejoin")),
		Response: fields(status())},
	{Name: "ZDO_MGMT_DIRECT_JOIN_REQ", Subsystem: ZDO, ID: 0x35, Type: SREQ,
		Request:  fields(x16("dstAddr"), ieee("deviceAddr"), x8("capInfo")),
		Response: fields(status())},
	{Name: "ZDO_MGMT_PERMIT_JOIN_REQ", Subsystem: ZDO, ID: 0x36, Type: SREQ,
		// addrMode 2 or 15; a 0xFFFC/0xFFFD/0xFFFF destination is broadcast
		// and also answered by the coordinator itself (§11.1). Very old 1.2
		// images take the form without addrMode, which is not modelled.
		Request:  fields(u8("addrMode"), x16("dstAddr"), u8("duration"), u8("tcSignificance")),
		Response: fields(status())},
	{Name: "ZDO_MGMT_NWK_UPDATE_REQ", Subsystem: ZDO, ID: 0x37, Type: SREQ,
		// scanDuration 0xFE changes the channel, 0xFF the network manager.
		Request: fields(x16("dstAddr"), u8("dstAddrMode"), x32("channelMask"), u8("scanDuration"),
			u8("scanCount"), x16("nwkManagerAddr")),
		Response: fields(status())},
	{Name: "ZDO_MSG_CB_REGISTER", Subsystem: ZDO, ID: 0x3E, Type: SREQ,
		// clusterId 0xFFFF registers every ZDP cluster.
		Request: fields(x16("clusterId")), Response: fields(status())},
	{Name: "ZDO_MSG_CB_REMOVE", Subsystem: ZDO, ID: 0x3F, Type: SREQ,
		Request: fields(x16("clusterId")), Response: fields(status())},
	{Name: "ZDO_STARTUP_FROM_APP", Subsystem: ZDO, ID: 0x40, Type: SREQ,
		// status: 1.2: 0 restored, 1 new network, 2 not started; 3.x.0
		// always 0 (it starts BDB formation).
		Request: fields(u16("startDelay")), Response: fields(u8("status")),
		SRSPTimeout: 40 * time.Second},
	{Name: "ZDO_EXT_ROUTE_DISC", Subsystem: ZDO, ID: 0x45, Type: SREQ,
		Request: fields(x16("dstAddr"), x8("options"), u8("radius")), Response: fields(status())},
	{Name: "ZDO_EXT_ROUTE_CHECK", Subsystem: ZDO, ID: 0x46, Type: SREQ,
		Request: fields(x16("dstAddr"), u8("rtStatus"), x8("options")), Response: fields(status())},
	{Name: "ZDO_EXT_REMOVE_GROUP", Subsystem: ZDO, ID: 0x47, Type: SREQ,
		Request: fields(u8("endpoint"), x16("groupId")), Response: fields(status())},
	{Name: "ZDO_EXT_REMOVE_ALL_GROUP", Subsystem: ZDO, ID: 0x48, Type: SREQ,
		Request: fields(u8("endpoint")), Response: fields(status())},
	{Name: "ZDO_EXT_FIND_GROUP", Subsystem: ZDO, ID: 0x4A, Type: SREQ,
		// Always 19 bytes: status 1 (not found) leaves the rest zero; the
		// name area is zero padded to 16 bytes.
		Request: fields(u8("endpoint"), x16("groupId")),
		Response: fields(status(), x16("groupId"), u8("nameLen"), bytesOf("name", "nameLen"),
			rest("padding"))},
	{Name: "ZDO_EXT_ADD_GROUP", Subsystem: ZDO, ID: 0x4B, Type: SREQ,
		Request:  fields(u8("endpoint"), x16("groupId"), u8("nameLen"), bytesOf("name", "nameLen")),
		Response: fields(status())},
	{Name: "ZDO_EXT_COUNT_ALL_GROUPS", Subsystem: ZDO, ID: 0x4C, Type: SREQ,
		Response: fields(u8("count"))},
	{Name: "ZDO_EXT_NWK_INFO", Subsystem: ZDO, ID: 0x50, Type: SREQ,
		// 24 bytes, as herdsman reads them (§16).
		Response: fields(x16("shortAddr"), u8("devState"), x16("panId"), x16("parentAddr"),
			ieee("extendedPanId"), ieee("parentExtAddr"), u8("channel"))},
	{Name: "ZDO_EXT_SEC_APS_REMOVE_REQ", Subsystem: ZDO, ID: 0x51, Type: SREQ,
		Request:  fields(x16("nwkAddr"), ieee("extAddr"), x16("parentAddr")),
		Response: fields(status())},

	// Callbacks (ZNP → host AREQs).
	{Name: "ZDO_NWK_ADDR_RSP", Subsystem: ZDO, ID: 0x80, Type: AREQ,
		// No srcAddr; the start index precedes the count (§16).
		Request: fields(status(), ieee("ieeeAddr"), x16("nwkAddr"), u8("startIndex"), u16s("assocDevices"))},
	{Name: "ZDO_IEEE_ADDR_RSP", Subsystem: ZDO, ID: 0x81, Type: AREQ,
		Request: fields(status(), ieee("ieeeAddr"), x16("nwkAddr"), u8("startIndex"), u16s("assocDevices"))},
	{Name: "ZDO_NODE_DESC_RSP", Subsystem: ZDO, ID: 0x82, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), x16("nwkAddrOfInterest"),
			opt(Field{Name: "nodeDescriptor", Kind: KindStruct, Fields: nodeDescriptor}))},
	{Name: "ZDO_POWER_DESC_RSP", Subsystem: ZDO, ID: 0x83, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), x16("nwkAddrOfInterest"), opt(fixed("powerDescriptor", 2)))},
	{Name: "ZDO_SIMPLE_DESC_RSP", Subsystem: ZDO, ID: 0x84, Type: AREQ,
		// simpleDescLen 0 (on failure): no descriptor.
		Request: fields(x16("srcAddr"), status(), x16("nwkAddrOfInterest"), u8("simpleDescLen"),
			structOf("simpleDescriptor", "simpleDescLen", simpleDescriptor...))},
	{Name: "ZDO_ACTIVE_EP_RSP", Subsystem: ZDO, ID: 0x85, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), x16("nwkAddrOfInterest"), u8s("activeEndpoints"))},
	{Name: "ZDO_MATCH_DESC_RSP", Subsystem: ZDO, ID: 0x86, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), x16("nwkAddrOfInterest"), u8s("matchList"))},
	{Name: "ZDO_END_DEVICE_BIND_RSP", Subsystem: ZDO, ID: 0xA0, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_BIND_RSP", Subsystem: ZDO, ID: 0xA1, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_UNBIND_RSP", Subsystem: ZDO, ID: 0xA2, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_MGMT_LQI_RSP", Subsystem: ZDO, ID: 0xB1, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), u8("neighborTableEntries"), u8("startIndex"),
			u8("neighborListCount"), listOf("neighbors", "neighborListCount", neighbor...))},
	{Name: "ZDO_MGMT_RTG_RSP", Subsystem: ZDO, ID: 0xB2, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), u8("routingTableEntries"), u8("startIndex"),
			u8("routingTableListCount"), listOf("routes", "routingTableListCount", route...))},
	{Name: "ZDO_MGMT_BIND_RSP", Subsystem: ZDO, ID: 0xB3, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), u8("bindingTableEntries"), u8("startIndex"),
			u8("bindingTableListCount"), listOf("bindings", "bindingTableListCount", binding...))},
	{Name: "ZDO_MGMT_LEAVE_RSP", Subsystem: ZDO, ID: 0xB4, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_MGMT_DIRECT_JOIN_RSP", Subsystem: ZDO, ID: 0xB5, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_MGMT_PERMIT_JOIN_RSP", Subsystem: ZDO, ID: 0xB6, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_MGMT_NWK_UPDATE_NOTIFY", Subsystem: ZDO, ID: 0xB8, Type: AREQ,
		Request: fields(x16("srcAddr"), status(), x32("scannedChannels"), u16("totalTransmissions"),
			u16("transmissionFailures"), u8s("energyValues"))},
	{Name: "ZDO_STATE_CHANGE_IND", Subsystem: ZDO, ID: 0xC0, Type: AREQ,
		// state: device state (§7.3), 9 = started as coordinator.
		Request: fields(u8("state"))},
	{Name: "ZDO_END_DEVICE_ANNCE_IND", Subsystem: ZDO, ID: 0xC1, Type: AREQ,
		// capabilities: bit1 router, bit2 mains, bit3 rx on when idle,
		// bit6 security, bit7 allocate address.
		Request: fields(x16("srcAddr"), x16("nwkAddr"), ieee("ieeeAddr"), x8("capabilities"))},
	{Name: "ZDO_MATCH_DESC_RSP_SENT", Subsystem: ZDO, ID: 0xC2, Type: AREQ,
		Request: fields(x16("nwkAddr"), u16s("inClusters"), u16s("outClusters"))},
	{Name: "ZDO_STATUS_ERROR_RSP", Subsystem: ZDO, ID: 0xC3, Type: AREQ, Request: srcStatus()},
	{Name: "ZDO_SRC_RTG_IND", Subsystem: ZDO, ID: 0xC4, Type: AREQ,
		Request: fields(x16("dstAddr"), u16s("relays"))},
	{Name: "ZDO_CONCENTRATOR_IND", Subsystem: ZDO, ID: 0xC8, Type: AREQ,
		Request: fields(x16("nwkAddr"), ieee("extAddr"), u8("pktCost"))},
	{Name: "ZDO_LEAVE_IND", Subsystem: ZDO, ID: 0xC9, Type: AREQ,
		Request: fields(x16("srcAddr"), ieee("extAddr"), u8("request"), u8("removeChildren"), u8("rejoin"))},
	{Name: "ZDO_TC_DEV_IND", Subsystem: ZDO, ID: 0xCA, Type: AREQ,
		Request: fields(x16("nwkAddr"), ieee("extAddr"), x16("parentAddr"))},
	{Name: "ZDO_PERMIT_JOIN_IND", Subsystem: ZDO, ID: 0xCB, Type: AREQ,
		Request: fields(u8("duration"))},
	{Name: "ZDO_MSG_CB_INCOMING", Subsystem: ZDO, ID: 0xFF, Type: AREQ,
		// data: the ZDP payload without its sequence number (seqNum).
		Request: fields(x16("srcAddr"), u8("wasBroadcast"), x16("clusterId"), u8("securityUse"), u8("seqNum"),
			x16("macDstAddr"), rest("data"))},
}

// ZDO commands.
var (
	ZDONwkAddrReq          = mustCommand("ZDO_NWK_ADDR_REQ")
	ZDOIEEEAddrReq         = mustCommand("ZDO_IEEE_ADDR_REQ")
	ZDONodeDescReq         = mustCommand("ZDO_NODE_DESC_REQ")
	ZDOPowerDescReq        = mustCommand("ZDO_POWER_DESC_REQ")
	ZDOSimpleDescReq       = mustCommand("ZDO_SIMPLE_DESC_REQ")
	ZDOActiveEPReq         = mustCommand("ZDO_ACTIVE_EP_REQ")
	ZDOMatchDescReq        = mustCommand("ZDO_MATCH_DESC_REQ")
	ZDOBindReq             = mustCommand("ZDO_BIND_REQ")
	ZDOUnbindReq           = mustCommand("ZDO_UNBIND_REQ")
	ZDOMgmtLQIReq          = mustCommand("ZDO_MGMT_LQI_REQ")
	ZDOMgmtRtgReq          = mustCommand("ZDO_MGMT_RTG_REQ")
	ZDOMgmtBindReq         = mustCommand("ZDO_MGMT_BIND_REQ")
	ZDOMgmtLeaveReq        = mustCommand("ZDO_MGMT_LEAVE_REQ")
	ZDOMgmtDirectJoinReq   = mustCommand("ZDO_MGMT_DIRECT_JOIN_REQ")
	ZDOMgmtPermitJoinReq   = mustCommand("ZDO_MGMT_PERMIT_JOIN_REQ")
	ZDOMgmtNwkUpdateReq    = mustCommand("ZDO_MGMT_NWK_UPDATE_REQ")
	ZDOMsgCBRegister       = mustCommand("ZDO_MSG_CB_REGISTER")
	ZDOMsgCBRemove         = mustCommand("ZDO_MSG_CB_REMOVE")
	ZDOStartupFromApp      = mustCommand("ZDO_STARTUP_FROM_APP")
	ZDOExtRouteDisc        = mustCommand("ZDO_EXT_ROUTE_DISC")
	ZDOExtRouteCheck       = mustCommand("ZDO_EXT_ROUTE_CHECK")
	ZDOExtRemoveGroup      = mustCommand("ZDO_EXT_REMOVE_GROUP")
	ZDOExtRemoveAllGroup   = mustCommand("ZDO_EXT_REMOVE_ALL_GROUP")
	ZDOExtFindGroup        = mustCommand("ZDO_EXT_FIND_GROUP")
	ZDOExtAddGroup         = mustCommand("ZDO_EXT_ADD_GROUP")
	ZDOExtCountAllGroups   = mustCommand("ZDO_EXT_COUNT_ALL_GROUPS")
	ZDOExtNwkInfo          = mustCommand("ZDO_EXT_NWK_INFO")
	ZDOExtSecAPSRemoveReq  = mustCommand("ZDO_EXT_SEC_APS_REMOVE_REQ")
	ZDONwkAddrRsp          = mustCommand("ZDO_NWK_ADDR_RSP")
	ZDOIEEEAddrRsp         = mustCommand("ZDO_IEEE_ADDR_RSP")
	ZDONodeDescRsp         = mustCommand("ZDO_NODE_DESC_RSP")
	ZDOPowerDescRsp        = mustCommand("ZDO_POWER_DESC_RSP")
	ZDOSimpleDescRsp       = mustCommand("ZDO_SIMPLE_DESC_RSP")
	ZDOActiveEPRsp         = mustCommand("ZDO_ACTIVE_EP_RSP")
	ZDOMatchDescRsp        = mustCommand("ZDO_MATCH_DESC_RSP")
	ZDOEndDeviceBindRsp    = mustCommand("ZDO_END_DEVICE_BIND_RSP")
	ZDOBindRsp             = mustCommand("ZDO_BIND_RSP")
	ZDOUnbindRsp           = mustCommand("ZDO_UNBIND_RSP")
	ZDOMgmtLQIRsp          = mustCommand("ZDO_MGMT_LQI_RSP")
	ZDOMgmtRtgRsp          = mustCommand("ZDO_MGMT_RTG_RSP")
	ZDOMgmtBindRsp         = mustCommand("ZDO_MGMT_BIND_RSP")
	ZDOMgmtLeaveRsp        = mustCommand("ZDO_MGMT_LEAVE_RSP")
	ZDOMgmtDirectJoinRsp   = mustCommand("ZDO_MGMT_DIRECT_JOIN_RSP")
	ZDOMgmtPermitJoinRsp   = mustCommand("ZDO_MGMT_PERMIT_JOIN_RSP")
	ZDOMgmtNwkUpdateNotify = mustCommand("ZDO_MGMT_NWK_UPDATE_NOTIFY")
	ZDOStateChangeInd      = mustCommand("ZDO_STATE_CHANGE_IND")
	ZDOEndDeviceAnnceInd   = mustCommand("ZDO_END_DEVICE_ANNCE_IND")
	ZDOMatchDescRspSent    = mustCommand("ZDO_MATCH_DESC_RSP_SENT")
	ZDOStatusErrorRsp      = mustCommand("ZDO_STATUS_ERROR_RSP")
	ZDOSrcRtgInd           = mustCommand("ZDO_SRC_RTG_IND")
	ZDOConcentratorInd     = mustCommand("ZDO_CONCENTRATOR_IND")
	ZDOLeaveInd            = mustCommand("ZDO_LEAVE_IND")
	ZDOTCDevInd            = mustCommand("ZDO_TC_DEV_IND")
	ZDOPermitJoinInd       = mustCommand("ZDO_PERMIT_JOIN_IND")
	ZDOMsgCBIncoming       = mustCommand("ZDO_MSG_CB_INCOMING")
)
