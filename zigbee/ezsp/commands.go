package ezsp

import (
	"fmt"
	"strings"
)

// Command is one EZSP frame id with the parameter layouts of one range of
// protocol versions, described as data (ezsp.md §7). The same id appears
// several times in the table when its layout changed between versions
// (v13 → v14 moved statuses and widened message tags). A Command is
// immutable; share it freely.
type Command struct {
	ID   uint16
	Name string
	// Callback marks NCP-initiated handlers; their parameters are Response.
	Callback bool
	// Request and Response are the host→NCP and NCP→host parameters.
	Request, Response []Field
	// Since and Until bound the protocol versions the layout applies to
	// (inclusive; 0 = unbounded).
	Since, Until uint8
}

func (c *Command) String() string { return c.Name }

func (c *Command) covers(v uint8) bool {
	return (c.Since == 0 || v >= c.Since) && (c.Until == 0 || v <= c.Until)
}

// Schema returns the layout of the frame direction: Response for NCP→host
// frames, Request for host→NCP.
func (c *Command) Schema(response bool) []Field {
	if response || c.Callback {
		return c.Response
	}
	return c.Request
}

// Lookup finds the command with frame id id in protocol version v.
func Lookup(id uint16, v uint8) (*Command, bool) {
	for _, c := range byID[id] {
		if c.covers(v) {
			return c, true
		}
	}
	return nil, false
}

// CommandByName finds a command by name in protocol version v.
func CommandByName(name string, v uint8) (*Command, bool) {
	for _, c := range byName[name] {
		if c.covers(v) {
			return c, true
		}
	}
	return nil, false
}

// Commands returns every table entry in frame-id order.
func Commands() []*Command {
	out := make([]*Command, len(table))
	for i := range table {
		out[i] = &table[i]
	}
	return out
}

// Decode decodes the parameters of f (a frame of protocol version v). Bytes
// after the last field are kept under TrailingKey.
func Decode(f Frame, v uint8) (*Command, Params, error) {
	c, ok := Lookup(f.ID, v)
	if !ok {
		return nil, nil, &ParamsError{Op: "decode", Command: fmt.Sprintf("0x%04X", f.ID), Version: v, Err: ErrUnknownCommand}
	}
	p, err := DecodeParams(c, f.IsResponse(), f.Params, v)
	return c, p, err
}

// DecodeParams decodes b with the layout of c for the given direction.
func DecodeParams(c *Command, response bool, b []byte, v uint8) (Params, error) {
	r := &reader{b: b}
	p, err := decodeFields(r, c.Schema(response), v)
	if err != nil {
		return nil, &ParamsError{Op: "decode", Command: c.Name, Version: v, Err: err}
	}
	if len(r.b) > 0 {
		p[TrailingKey] = clone(r.b)
	}
	return p, nil
}

// EncodeParams appends the parameters p with the layout of c for the given
// direction. Absent numbers encode as zero, absent byte strings as empty.
func EncodeParams(dst []byte, c *Command, response bool, p Params, v uint8) ([]byte, error) {
	out, err := encodeFields(dst, c.Schema(response), p, v)
	if err != nil {
		return dst, &ParamsError{Op: "encode", Command: c.Name, Version: v, Err: err}
	}
	if t, ok := p[TrailingKey].([]byte); ok {
		out = append(out, t...)
	}
	return out, nil
}

// FormatFrame renders a frame of version v on one line, e.g.
// "< #12 rsp networkInit {status: SUCCESS}". Unknown frame ids are shown
// raw; a frame whose parameters do not decode fails.
func FormatFrame(f Frame, v uint8) (string, error) {
	var b strings.Builder
	kind := "cmd"
	switch {
	case f.IsCallback():
		kind = "cb"
	case f.IsResponse():
		kind = "rsp"
	}
	fmt.Fprintf(&b, "#%d %s ", f.Seq, kind)
	c, ok := Lookup(f.ID, v)
	if !ok {
		fmt.Fprintf(&b, "frame 0x%04X % X", f.ID, f.Params)
		return b.String(), nil
	}
	p, err := DecodeParams(c, f.IsResponse(), f.Params, v)
	if err != nil {
		return "", err
	}
	b.WriteString(c.Name)
	b.WriteByte(' ')
	formatParams(&b, c.Schema(f.IsResponse()), p, v)
	if f.Control&(FCPending|FCOverflow|FCTruncated) != 0 {
		fmt.Fprintf(&b, " [fc 0x%02X]", f.Control)
	}
	return b.String(), nil
}

var (
	byID   = map[uint16][]*Command{}
	byName = map[string][]*Command{}
)

func init() {
	for i := range table {
		c := &table[i]
		byID[c.ID] = append(byID[c.ID], c)
		byName[c.Name] = append(byName[c.Name], c)
	}
}

// Field constructors keep the table short.
func u8(n string) Field        { return Field{Name: n, Kind: KindU8} }
func u16(n string) Field       { return Field{Name: n, Kind: KindU16} }
func x16(n string) Field       { return Field{Name: n, Kind: KindU16, Hex: true} }
func u32(n string) Field       { return Field{Name: n, Kind: KindU32} }
func x32(n string) Field       { return Field{Name: n, Kind: KindU32, Hex: true} }
func i8(n string) Field        { return Field{Name: n, Kind: KindI8} }
func eui(n string) Field       { return Field{Name: n, Kind: KindEUI64} }
func key(n string) Field       { return Field{Name: n, Kind: KindKey} }
func lv(n string) Field        { return Field{Name: n, Kind: KindLV} }
func st() Field                { return Field{Name: "status", Kind: KindStatus} }
func ezst() Field              { return Field{Name: "status", Kind: KindEzspStatus} }
func sl() Field                { return Field{Name: "status", Kind: KindSLStatus} }
func list(n, ref string) Field { return Field{Name: n, Kind: KindU16List, Ref: ref, Hex: true} }
func rec(n string, fs ...Field) Field {
	return Field{Name: n, Kind: KindStruct, Fields: fs}
}
func fields(fs ...Field) []Field { return fs }

// Structures (ezsp.md §7.1).
var (
	apsFrame = []Field{x16("profileId"), x16("clusterId"), u8("sourceEndpoint"), u8("destinationEndpoint"),
		x16("options"), x16("groupId"), u8("sequence")}
	networkParameters = []Field{eui("extendedPanId"), x16("panId"), i8("radioTxPower"), u8("radioChannel"),
		u8("joinMethod"), x16("nwkManagerId"), u8("nwkUpdateId"), x32("channels")}
	packetInfo = []Field{x16("senderShortId"), eui("senderLongId"), u8("bindingIndex"), u8("addressIndex"),
		u8("lastHopLqi"), i8("lastHopRssi"), u32("lastHopTimestamp")}
	secManContext = []Field{u8("coreKeyType"), u8("keyIndex"), u16("derivedType"), eui("eui64"),
		u8("multiNetworkIndex"), u8("flags"), x32("psaKeyAlgPermission")}
	apsKeyMetadata = []Field{x16("bitmask"), u32("outgoingFrameCounter"), u32("incomingFrameCounter"), u16("ttlInSeconds")}
	childData      = []Field{eui("eui64"), u8("type"), x16("id"), u8("phy"), u8("power"), u8("timeout"), u32("remainingTimeout")}
)

func aps() Field { return rec("apsFrame", apsFrame...) }

// table holds every command zhub sends, answers (emulated NCP) or decodes
// in traces. Layouts before v13 are those of v13 unless a pre-v13 entry
// says otherwise.
var table = []Command{
	{ID: 0x0000, Name: "version", Request: fields(u8("desiredProtocolVersion")),
		Response: fields(u8("protocolVersion"), u8("stackType"), x16("stackVersion"))},
	{ID: 0x0002, Name: "addEndpoint", Request: fields(u8("endpoint"), x16("profileId"), x16("deviceId"), u8("deviceVersion"),
		u8("inputClusterCount"), u8("outputClusterCount"), list("inputClusterList", "inputClusterCount"),
		list("outputClusterList", "outputClusterCount")), Response: fields(ezst())},
	{ID: 0x0003, Name: "getExtendedValue", Request: fields(u8("valueId"), u32("characteristics")),
		Response: fields(ezst(), lv("value"))},
	{ID: 0x0005, Name: "nop"},
	{ID: 0x0006, Name: "callback"},
	{ID: 0x0007, Name: "noCallbacks"},
	{ID: 0x000B, Name: "getMfgToken", Request: fields(u8("tokenId")), Response: fields(lv("tokenData"))},
	{ID: 0x0010, Name: "setConcentrator", Request: fields(u8("on"), x16("concentratorType"), u16("minTime"), u16("maxTime"),
		u8("routeErrorThreshold"), u8("deliveryFailureThreshold"), u8("maxHops")), Response: fields(st())},
	{ID: 0x0015, Name: "setManufacturerCode", Request: fields(x16("code"))},
	{ID: 0x0017, Name: "networkInit", Request: fields(x16("networkInitBitmask")), Response: fields(st())},
	{ID: 0x0018, Name: "networkState", Response: fields(u8("status"))},
	{ID: 0x0019, Name: "stackStatusHandler", Callback: true, Response: fields(st())},
	{ID: 0x001E, Name: "formNetwork", Request: fields(rec("parameters", networkParameters...)), Response: fields(st())},
	{ID: 0x0020, Name: "leaveNetwork", Until: 13, Response: fields(st())},
	{ID: 0x0020, Name: "leaveNetwork", Since: 14, Request: fields(u8("options")), Response: fields(st())},
	{ID: 0x0022, Name: "permitJoining", Request: fields(u8("duration")), Response: fields(st())},
	{ID: 0x0023, Name: "childJoinHandler", Callback: true, Response: fields(u8("index"), u8("joining"), x16("childId"),
		eui("childEui64"), u8("childType"))},
	{ID: 0x0024, Name: "trustCenterJoinHandler", Callback: true, Response: fields(x16("newNodeId"), eui("newNodeEui64"),
		u8("status"), u8("policyDecision"), x16("parentOfNewNodeId"))},
	{ID: 0x0026, Name: "getEui64", Response: fields(eui("eui64"))},
	{ID: 0x0027, Name: "getNodeId", Response: fields(x16("nodeId"))},
	{ID: 0x0028, Name: "getNetworkParameters", Response: fields(st(), u8("nodeType"), rec("parameters", networkParameters...))},
	{ID: 0x0034, Name: "sendUnicast", Until: 13, Request: fields(u8("type"), x16("indexOrDestination"), aps(),
		u8("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0034, Name: "sendUnicast", Since: 14, Request: fields(u8("type"), x16("indexOrDestination"), aps(),
		u16("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0036, Name: "sendBroadcast", Until: 13, Request: fields(x16("destination"), aps(), u8("radius"),
		u8("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0036, Name: "sendBroadcast", Since: 14, Request: fields(x16("alias"), x16("destination"), u8("nwkSequence"),
		aps(), u8("radius"), u16("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0038, Name: "sendMulticast", Until: 13, Request: fields(aps(), u8("hops"), u8("nonMemberRadius"),
		u8("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0038, Name: "sendMulticast", Since: 14, Request: fields(aps(), u8("hops"), x16("broadcastAddr"), x16("alias"),
		u8("nwkSequence"), u16("messageTag"), lv("message")), Response: fields(st(), u8("apsSequence"))},
	{ID: 0x0039, Name: "sendReply", Request: fields(x16("sender"), aps(), lv("message")), Response: fields(st())},
	{ID: 0x003F, Name: "messageSentHandler", Callback: true, Until: 13, Response: fields(u8("type"), x16("indexOrDestination"),
		aps(), u8("messageTag"), st(), lv("message"))},
	{ID: 0x003F, Name: "messageSentHandler", Callback: true, Since: 14, Response: fields(st(), u8("type"),
		x16("indexOrDestination"), aps(), u16("messageTag"), lv("message"))},
	{ID: 0x0041, Name: "sendManyToOneRouteRequest", Request: fields(x16("concentratorType"), u8("radius")), Response: fields(st())},
	{ID: 0x0044, Name: "pollHandler", Callback: true, Response: fields(x16("childId"), u8("transmitExpected"))},
	{ID: 0x0045, Name: "incomingMessageHandler", Callback: true, Until: 13, Response: fields(u8("type"), aps(),
		u8("lastHopLqi"), i8("lastHopRssi"), x16("sender"), u8("bindingIndex"), u8("addressIndex"), lv("message"))},
	{ID: 0x0045, Name: "incomingMessageHandler", Callback: true, Since: 14, Response: fields(u8("type"), aps(),
		rec("packetInfo", packetInfo...), lv("message"))},
	{ID: 0x004A, Name: "getChildData", Request: fields(u8("index")), Response: fields(st(), rec("childData", childData...))},
	{ID: 0x0051, Name: "sendRawMessage", Request: fields(lv("message"), u8("priority"), u8("useCca")), Response: fields(st())},
	{ID: 0x0052, Name: "getConfigurationValue", Request: fields(u8("configId")), Response: fields(ezst(), u16("value"))},
	{ID: 0x0053, Name: "setConfigurationValue", Request: fields(u8("configId"), u16("value")), Response: fields(ezst())},
	{ID: 0x0055, Name: "setPolicy", Request: fields(u8("policyId"), u8("decisionId")), Response: fields(ezst())},
	{ID: 0x0056, Name: "getPolicy", Request: fields(u8("policyId")), Response: fields(ezst(), u8("decisionId"))},
	{ID: 0x0058, Name: "invalidCommand", Response: fields(u8("reason"))},
	{ID: 0x0059, Name: "incomingRouteRecordHandler", Callback: true, Response: fields(x16("source"), eui("sourceEui"),
		u8("lastHopLqi"), i8("lastHopRssi"), u8("relayCount"), list("relayList", "relayCount"))},
	{ID: 0x005A, Name: "setSourceRoute", Until: 7, Request: fields(x16("destination"), u8("relayCount"),
		list("relayList", "relayCount")), Response: fields(st())},
	{ID: 0x005A, Name: "setSourceRouteDiscoveryMode", Since: 8, Request: fields(u8("mode")), Response: fields(u32("remainingTime"))},
	{ID: 0x0060, Name: "lookupNodeIdByEui64", Request: fields(eui("eui64")), Response: fields(x16("nodeId"))},
	{ID: 0x0061, Name: "lookupEui64ByNodeId", Request: fields(x16("nodeId")), Response: fields(st(), eui("eui64"))},
	{ID: 0x0062, Name: "incomingSenderEui64Handler", Callback: true, Until: 13, Response: fields(eui("senderEui64"))},
	{ID: 0x0063, Name: "getMulticastTableEntry", Request: fields(u8("index")), Response: fields(st(), x16("multicastId"),
		u8("endpoint"), u8("networkIndex"))},
	{ID: 0x0064, Name: "setMulticastTableEntry", Request: fields(u8("index"), x16("multicastId"), u8("endpoint"),
		u8("networkIndex")), Response: fields(st())},
	{ID: 0x0065, Name: "readAndClearCounters", Response: fields(list("values", ""))},
	{ID: 0x0068, Name: "setInitialSecurityState", Request: fields(x16("bitmask"), key("preconfiguredKey"), key("networkKey"),
		u8("networkKeySequenceNumber"), eui("preconfiguredTrustCenterEui64")), Response: fields(st())},
	{ID: 0x0069, Name: "getCurrentSecurityState", Response: fields(st(), x16("bitmask"), eui("trustCenterLongAddress"))},
	{ID: 0x006A, Name: "getKey", Until: 12, Request: fields(u8("keyType")), Response: fields(st(), x16("bitmask"), u8("type"),
		key("key"), u32("outgoingFrameCounter"), u32("incomingFrameCounter"), u8("sequenceNumber"), eui("partnerEUI64"))},
	{ID: 0x006B, Name: "clearTransientLinkKeys"},
	{ID: 0x006E, Name: "switchNetworkKeyHandler", Callback: true, Response: fields(u8("sequenceNumber"))},
	{ID: 0x0073, Name: "broadcastNextNetworkKey", Request: fields(key("key")), Response: fields(st())},
	{ID: 0x0074, Name: "broadcastNetworkKeySwitch", Response: fields(st())},
	{ID: 0x0075, Name: "findKeyTableEntry", Request: fields(eui("address"), u8("linkKey")), Response: fields(u8("index"))},
	{ID: 0x0076, Name: "eraseKeyTableEntry", Request: fields(u8("index")), Response: fields(st())},
	{ID: 0x0077, Name: "tokenFactoryReset", Request: fields(u8("excludeOutgoingFC"), u8("excludeBootCounter"))},
	{ID: 0x007C, Name: "idConflictHandler", Callback: true, Response: fields(x16("id"))},
	{ID: 0x007D, Name: "incomingManyToOneRouteRequestHandler", Callback: true, Response: fields(x16("source"),
		eui("longId"), u8("cost"))},
	{ID: 0x007E, Name: "setExtendedTimeout", Until: 13, Request: fields(eui("remoteEui64"), u8("extendedTimeout"))},
	{ID: 0x007E, Name: "setExtendedTimeout", Since: 14, Request: fields(eui("remoteEui64"), u8("extendedTimeout")),
		Response: fields(sl())},
	{ID: 0x0080, Name: "incomingRouteErrorHandler", Callback: true, Response: fields(st(), x16("target"))},
	{ID: 0x008F, Name: "launchStandaloneBootloader", Request: fields(u8("mode")), Response: fields(u8("status"))},
	{ID: 0x0095, Name: "setRadioIeee802154CcaMode", Request: fields(u8("ccaMode")), Response: fields(st())},
	{ID: 0x0099, Name: "setRadioPower", Request: fields(i8("power")), Response: fields(st())},
	{ID: 0x00A8, Name: "removeDevice", Request: fields(x16("destShort"), eui("destLong"), eui("targetLong")), Response: fields(st())},
	{ID: 0x00AA, Name: "getValue", Request: fields(u8("valueId")), Response: fields(ezst(), lv("value"))},
	{ID: 0x00AB, Name: "setValue", Request: fields(u8("valueId"), lv("value")), Response: fields(ezst())},
	{ID: 0x00B1, Name: "clearKeyTable", Response: fields(st())},
	{ID: 0x00B9, Name: "setLogicalAndRadioChannel", Request: fields(u8("radioChannel")), Response: fields(st())},
	{ID: 0x00C4, Name: "incomingNetworkStatusHandler", Callback: true, Response: fields(u8("errorCode"), x16("target"))},
	{ID: 0x00F1, Name: "readCounters", Response: fields(list("values", ""))},
	{ID: 0x00FF, Name: "getRadioChannel", Response: fields(u8("channel"))},
	{ID: 0x0104, Name: "resetNode"},
	{ID: 0x010C, Name: "getApsKeyInfo", Until: 13, Request: fields(rec("context", secManContext...)),
		Response: fields(eui("eui64"), rec("keyData", apsKeyMetadata...), sl())},
	{ID: 0x010C, Name: "getApsKeyInfo", Since: 14, Request: fields(rec("context", secManContext...)),
		Response: fields(sl(), rec("keyData", apsKeyMetadata...), rec("context", secManContext...))},
	{ID: 0x010E, Name: "importLinkKey", Request: fields(u8("index"), eui("address"), key("plaintextKey")), Response: fields(sl())},
	{ID: 0x010F, Name: "exportLinkKeyByIndex", Until: 13, Request: fields(u8("index")),
		Response: fields(eui("eui64"), key("plaintextKey"), rec("keyData", apsKeyMetadata...), sl())},
	{ID: 0x010F, Name: "exportLinkKeyByIndex", Since: 14, Request: fields(u8("index")),
		Response: fields(sl(), rec("context", secManContext...), key("plaintextKey"), rec("keyData", apsKeyMetadata...))},
	{ID: 0x0111, Name: "importTransientKey", Until: 13, Request: fields(eui("eui64"), key("plaintextKey"), u8("flags")),
		Response: fields(sl())},
	{ID: 0x0111, Name: "importTransientKey", Since: 14, Request: fields(eui("eui64"), key("plaintextKey")),
		Response: fields(sl())},
	{ID: 0x0114, Name: "exportKey", Until: 13, Request: fields(rec("context", secManContext...)),
		Response: fields(key("key"), sl())},
	{ID: 0x0114, Name: "exportKey", Since: 14, Request: fields(rec("context", secManContext...)),
		Response: fields(sl(), key("key"), rec("context", secManContext...))},
	// importKey: bellows reads the status only, herdsman also a context;
	// the emulated NCP sends both and decoders keep the context optional
	// as trailing bytes (ezsp.md §13 item 3).
	{ID: 0x0115, Name: "importKey", Request: fields(rec("context", secManContext...), key("key")), Response: fields(sl())},
	{ID: 0x0116, Name: "getNetworkKeyInfo", Response: fields(sl(), u8("networkKeySet"), u8("alternateNetworkKeySet"),
		u8("networkKeySequenceNumber"), u8("altNetworkKeySequenceNumber"), u32("networkKeyFrameCounter"))},
}
