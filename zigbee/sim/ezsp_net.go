package sim

import (
	"bytes"
	"encoding/binary"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
)

// EmberOutgoingMessageType and EmberIncomingMessageType values.
const (
	outDirect    = 0
	outMulticast = 3
	outBroadcast = 6

	inUnicast   = 0
	inMulticast = 2
	inBroadcast = 4
)

// ezspMessage is a sent message awaiting its messageSentHandler.
type ezspMessage struct {
	typ   uint8
	dst   uint16
	aps   ezsp.Params
	tag   uint16
	data  []byte
	group bool
}

// ---- network events → callbacks ----

// joined turns ZDO_TC_DEV_IND (nwk, ieee, parent) into childJoinHandler
// (end devices of the coordinator) and trustCenterJoinHandler.
func (e *ezspNCP) joined(p []byte) {
	if len(p) < 12 {
		return
	}
	nwk := binary.LittleEndian.Uint16(p)
	ieee := binary.LittleEndian.Uint64(p[2:])
	parent := binary.LittleEndian.Uint16(p[10:])
	d := e.n.deviceByIEEE(zigbee.IEEE(ieee))
	if d != nil && parent == 0 && !d.model.router {
		typ := uint8(3)
		if d.model.sleepy {
			typ = 4
		}
		idx := uint8(0)
		for i, k := range e.children() {
			if k == d {
				idx = uint8(i)
			}
		}
		e.callback("childJoinHandler", ezsp.Params{"index": idx, "joining": uint8(1), "childId": nwk,
			"childEui64": ieee, "childType": typ})
	}
	e.callback("trustCenterJoinHandler", ezsp.Params{"newNodeId": nwk, "newNodeEui64": ieee, "status": uint8(1), // STANDARD_SECURITY_UNSECURED_JOIN
		"policyDecision": uint8(0), "parentOfNewNodeId": parent})
}

// left turns ZDO_LEAVE_IND (nwk, ieee, request, remove children, rejoin)
// into trustCenterJoinHandler(DEVICE_LEFT).
func (e *ezspNCP) left(p []byte) {
	if len(p) < 10 {
		return
	}
	nwk := binary.LittleEndian.Uint16(p)
	ieee := binary.LittleEndian.Uint64(p[2:])
	e.callback("trustCenterJoinHandler", ezsp.Params{"newNodeId": nwk, "newNodeEui64": ieee, "status": uint8(2),
		"policyDecision": uint8(3), "parentOfNewNodeId": uint16(0xFFFF)})
}

// zdoIncoming turns ZDO_MSG_CB_INCOMING (src, wasBroadcast, cluster,
// securityUse, seq, macDst, data) into incomingMessageHandler on the ZDO
// endpoint; the message starts with the ZDP sequence number.
func (e *ezspNCP) zdoIncoming(p []byte) {
	if len(p) < 9 {
		return
	}
	src := binary.LittleEndian.Uint16(p)
	bcast := p[2] != 0
	cluster := binary.LittleEndian.Uint16(p[3:])
	msg := append([]byte{p[6]}, p[9:]...)
	typ := uint8(inUnicast)
	if bcast {
		typ = inBroadcast
	}
	lqi := uint8(0xFF)
	if d := e.n.deviceByNWK(zigbee.NWK(src)); d != nil {
		lqi = d.lqi
	}
	e.incoming(typ, 0x0000, cluster, 0, 0, 0, src, lqi, msg)
}

// afIncoming turns AF_INCOMING_MSG(_EXT) into incomingMessageHandler.
func (e *ezspNCP) afIncoming(id uint8, p []byte) {
	r := newRd(p)
	group, cluster := r.u16(), r.u16()
	var src uint16
	if id == 0x81 {
		src = r.u16()
	} else {
		r.u8()
		src = uint16(r.u64())
	}
	srcEp := r.u8()
	if id == 0x82 {
		r.u16()
	}
	dstEp, bcast, lqi := r.u8(), r.u8() != 0, r.u8()
	r.u8()
	ts := r.u32()
	r.u8()
	var data []byte
	if id == 0x81 {
		data = bytes.Clone(r.take(int(r.u8())))
	} else {
		data = e.n.retrieve[ts]
		delete(e.n.retrieve, ts)
	}
	if !r.ok {
		return
	}
	typ := uint8(inUnicast)
	switch {
	case group != 0:
		typ = inMulticast
	case bcast:
		typ = inBroadcast
	}
	profile := uint16(zigbee.ProfileHA)
	for _, ep := range e.n.eps {
		if ep.id == dstEp {
			profile = ep.profile
		}
	}
	e.incoming(typ, profile, cluster, srcEp, dstEp, group, src, lqi, data)
}

// incoming sends incomingMessageHandler in the layout of the version.
func (e *ezspNCP) incoming(typ uint8, profile, cluster uint16, srcEp, dstEp uint8, group, src uint16, lqi uint8, msg []byte) {
	if len(msg) > 0xFF {
		e.n.log.Warn("incoming message too long for EZSP, dropped", "event", "ezsp_incoming_too_long", "nwk", src)
		return
	}
	e.incomingSq++
	rssi := int8(int(lqi)/4 - 90)
	e.callback("incomingMessageHandler", ezsp.Params{
		"type": typ,
		"apsFrame": ezsp.Params{"profileId": profile, "clusterId": cluster, "sourceEndpoint": srcEp,
			"destinationEndpoint": dstEp, "options": uint16(0x0100), "groupId": group, "sequence": e.incomingSq},
		"lastHopLqi": lqi, "lastHopRssi": rssi, "sender": src, "bindingIndex": uint8(0xFF), "addressIndex": uint8(0xFF),
		"packetInfo": ezsp.Params{"senderShortId": src, "bindingIndex": uint8(0xFF), "addressIndex": uint8(0xFF),
			"lastHopLqi": lqi, "lastHopRssi": rssi, "lastHopTimestamp": e.n.timestamp()},
		"message": msg,
	})
}

// ---- sending ----

// sendCheck is the common part of the send commands: the network must be
// up and the Busy fault hook may refuse.
func (e *ezspNCP) sendCheck() (ezsp.Params, bool) {
	switch {
	case !e.networkUp():
		return ezsp.Params{"status": e.status(ezsp.SLNetworkDown)}, false
	case e.faultBusy > 0:
		e.faultBusy--
		return ezsp.Params{"status": e.status(ezsp.SLMaxMessageLimitReached)}, false
	}
	return nil, true
}

// accepted assigns the APS sequence number of an accepted message.
func (e *ezspNCP) accepted(m *ezspMessage) ezsp.Params {
	e.apsSeq++
	aps := ezsp.Params{}
	for k, v := range m.aps {
		aps[k] = v
	}
	aps["sequence"] = e.apsSeq
	m.aps = aps
	e.n.bumpFrameCounter()
	return ezsp.Params{"status": uint32(0), "apsSequence": e.apsSeq}
}

// sent reports the fate of a message with messageSentHandler. The message
// contents are echoed unless MESSAGE_CONTENTS_IN_CALLBACK_POLICY says tag
// only.
func (e *ezspNCP) sent(m ezspMessage, sl uint32) {
	msg := m.data
	if e.policies[0x04] != 0x41 {
		msg = nil
	}
	e.callback("messageSentHandler", ezsp.Params{"status": e.status(sl), "type": m.typ, "indexOrDestination": m.dst,
		"apsFrame": m.aps, "messageTag": m.tag, "message": msg})
}

// confirmStatus maps the model's MAC/NWK confirm status to sl_status.
func confirmStatus(st uint8) uint32 {
	if st == 0 {
		return ezsp.SLOK
	}
	return ezsp.SLDeliveryFailed
}

// faultConfirm takes the next FailConfirms status, if any.
func (e *ezspNCP) faultConfirm() (uint8, bool) {
	if len(e.n.faults.confirm) == 0 {
		return 0, false
	}
	st := e.n.faults.confirm[0]
	e.n.faults.confirm = e.n.faults.confirm[1:]
	return st, true
}

func apsOf(p ezsp.Params) (aps ezsp.Params, srcEp, dstEp uint8, cluster uint16) {
	aps = p.Struct("apsFrame")
	return aps, uint8(aps.Uint("sourceEndpoint")), uint8(aps.Uint("destinationEndpoint")), uint16(aps.Uint("clusterId"))
}

func (e *ezspNCP) sendUnicast(p ezsp.Params) (ezsp.Params, func()) {
	if rsp, ok := e.sendCheck(); !ok {
		return rsp, nil
	}
	n := e.n
	aps, srcEp, dstEp, cluster := apsOf(p)
	m := ezspMessage{typ: uint8(p.Uint("type")), dst: uint16(p.Uint("indexOrDestination")), aps: aps,
		tag: uint16(p.Uint("messageTag")), data: bytes.Clone(p.Bytes("message"))}
	if m.typ != outDirect {
		return ezsp.Params{"status": e.status(ezsp.SLInvalidParameter)}, nil
	}
	rsp := e.accepted(&m)
	return rsp, func() {
		confirm := func(st uint8) { e.sent(m, confirmStatus(st)) }
		if st, faulty := e.faultConfirm(); faulty {
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(st) })
			return
		}
		dst := zigbee.NWK(m.dst)
		if dst == 0 {
			// To the NCP itself: its ZDO answers (herdsman interviews the
			// coordinator this way, ezsp.md §9.1).
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
			if dstEp == 0 && len(m.data) > 0 {
				tsn, q := m.data[0], m.data[1:]
				n.afterCoord(n.cfg.ConfirmDelay, func() {
					if r := n.coordZDP(cluster, q); r != nil {
						n.zdpIncoming(0, cluster|zdpRsp, tsn, r, false)
					}
				})
			}
			return
		}
		d := n.deviceByNWK(dst)
		if d == nil {
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(macNoAck) })
			return
		}
		n.sendTo(d, func() { n.deviceAPS(d, dstEp, srcEp, cluster, m.data, 0, false) }, confirm)
	}
}

func (e *ezspNCP) sendBroadcast(p ezsp.Params) (ezsp.Params, func()) {
	if rsp, ok := e.sendCheck(); !ok {
		return rsp, nil
	}
	n := e.n
	aps, srcEp, dstEp, cluster := apsOf(p)
	m := ezspMessage{typ: outBroadcast, dst: uint16(p.Uint("destination")), aps: aps,
		tag: uint16(p.Uint("messageTag")), data: bytes.Clone(p.Bytes("message"))}
	rsp := e.accepted(&m)
	return rsp, func() {
		n.afterCoord(n.cfg.ConfirmDelay, func() { e.sent(m, ezsp.SLOK) })
		dst := zigbee.NWK(m.dst)
		for _, d := range n.devices {
			if !n.member(d) || !reachesBroadcast(d, dst) || !d.rxOn() && d.model.sleepy {
				continue
			}
			n.afterCoord(n.cfg.DeviceDelay, func() {
				if n.member(d) {
					n.deviceAPS(d, dstEp, srcEp, cluster, m.data, 0, true)
				}
			})
		}
	}
}

func (e *ezspNCP) sendMulticast(p ezsp.Params) (ezsp.Params, func()) {
	if rsp, ok := e.sendCheck(); !ok {
		return rsp, nil
	}
	n := e.n
	aps, srcEp, _, cluster := apsOf(p)
	group := uint16(aps.Uint("groupId"))
	m := ezspMessage{typ: outMulticast, dst: group, aps: aps, tag: uint16(p.Uint("messageTag")),
		data: bytes.Clone(p.Bytes("message")), group: true}
	rsp := e.accepted(&m)
	return rsp, func() {
		n.afterCoord(n.cfg.ConfirmDelay, func() { e.sent(m, ezsp.SLOK) })
		for _, d := range n.devices {
			if !n.member(d) || !d.rxOn() {
				continue
			}
			for _, ep := range d.eps {
				if ep.groups[group] {
					epID := ep.id
					n.afterCoord(n.cfg.DeviceDelay, func() {
						if n.member(d) {
							n.deviceAPS(d, epID, srcEp, cluster, m.data, group, true)
						}
					})
				}
			}
		}
	}
}
