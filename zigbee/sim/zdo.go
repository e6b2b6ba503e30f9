package sim

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// ZDP cluster ids (Zigbee spec §2.4).
const (
	zdpNwkAddrReq     = 0x0000
	zdpIEEEAddrReq    = 0x0001
	zdpNodeDescReq    = 0x0002
	zdpPowerDescReq   = 0x0003
	zdpSimpleDescReq  = 0x0004
	zdpActiveEPReq    = 0x0005
	zdpMatchDescReq   = 0x0006
	zdpDeviceAnnce    = 0x0013
	zdpBindReq        = 0x0021
	zdpUnbindReq      = 0x0022
	zdpMgmtLqiReq     = 0x0031
	zdpMgmtRtgReq     = 0x0032
	zdpMgmtBindReq    = 0x0033
	zdpMgmtLeaveReq   = 0x0034
	zdpMgmtDirectJoin = 0x0035
	zdpMgmtPermitReq  = 0x0036
	zdpMgmtNwkUpdate  = 0x0038
	zdpRsp            = 0x8000
)

// ZDP status codes.
const (
	zdpSuccess        = 0x00
	zdpDeviceNotFound = 0x81
	zdpInvalidEP      = 0x82
	zdpNotActive      = 0x83
	zdpNotSupported   = 0x84
	zdpNoEntry        = 0x88
	zdpTableFull      = 0x8C
)

func (n *Network) nextZdoTSN() uint8 {
	n.zdoTSN++
	return n.zdoTSN
}

func (n *Network) directCB() bool {
	v, _ := n.nv.u8(nvZDODirectCB)
	return v == 1
}

func (n *Network) msgCBRegistered(cluster uint16) bool {
	return n.msgCB[cluster] || n.msgCB[0xFFFF]
}

// zdpIncoming passes a ZDP frame that reached the coordinator's ZDO to the
// host: as the MT callback (ZDO_DIRECT_CB) and, when the host registered
// the cluster, as ZDO_MSG_CB_INCOMING (protocol/znp.md §5.5).
func (n *Network) zdpIncoming(src zigbee.NWK, cluster uint16, tsn uint8, payload []byte, bcast bool) {
	if n.directCB() {
		if id, mt, ok := mtZDOCallback(src, cluster, payload); ok {
			n.areq(znp.ZDO, id, mt)
		}
	}
	if n.msgCBRegistered(cluster) {
		var b buf
		wb, macDst := uint8(0), uint16(0x0000)
		if bcast {
			wb, macDst = 1, 0xFFFF
		}
		b.u16(uint16(src)).u8(wb).u16(cluster).u8(0).u8(tsn).u16(macDst).bytes(payload)
		n.areq(znp.ZDO, 0xFF, b)
	}
}

// mtZDOCallback converts a ZDP response (or device announce) into the
// `45 xx` callback Z-Stack emits: CMD1 = 0x80 | (cluster & 0x7F), payload
// srcAddr + ZDP payload, except NWK/IEEE_addr_rsp which carry no srcAddr,
// swap startIndex/numAssoc and are sent on success only.
func mtZDOCallback(src zigbee.NWK, cluster uint16, p []byte) (uint8, []byte, bool) {
	switch {
	case cluster == zdpDeviceAnnce:
		var b buf
		return 0xC1, *b.u16(uint16(src)).bytes(p), true
	case cluster == zdpRsp|zdpNwkAddrReq || cluster == zdpRsp|zdpIEEEAddrReq:
		if len(p) < 11 || p[0] != zdpSuccess {
			return 0, nil, false
		}
		var b buf
		b.bytes(p[:11])
		if len(p) >= 13 {
			b.u8(p[12]).u8(p[11]).bytes(p[13:])
		} else {
			b.u8(0).u8(0)
		}
		return 0x80 | uint8(cluster&0x7F), b, true
	case cluster&zdpRsp != 0 && cluster&0x7F80 == 0:
		var b buf
		b.u16(uint16(src)).bytes(p)
		// MT_ZDO re-serialises the parsed response: fields an error
		// response leaves out come out as zeros.
		if min, ok := mtMinRsp[cluster]; ok && len(p) < min {
			b.bytes(make([]byte, min-len(p)))
		}
		return 0x80 | uint8(cluster&0x7F), b, true
	}
	return 0, nil, false
}

// mtMinRsp is the ZDP payload length (from the status on) of the MT
// callbacks Z-Stack always packs in full.
var mtMinRsp = map[uint16]int{
	zdpRsp | zdpNodeDescReq:   3 + 13,
	zdpRsp | zdpPowerDescReq:  3 + 2,
	zdpRsp | zdpSimpleDescReq: 3 + 1,
	zdpRsp | zdpActiveEPReq:   3 + 1,
	zdpRsp | zdpMatchDescReq:  3 + 1,
	zdpRsp | zdpMgmtLqiReq:    4,
	zdpRsp | zdpMgmtRtgReq:    4,
	zdpRsp | zdpMgmtBindReq:   4,
}

// zdpRequest sends a ZDP request from the coordinator to dst (unicast or a
// broadcast address) and routes the answers back.
func (n *Network) zdpRequest(dst zigbee.NWK, cluster uint16, tsn uint8, p []byte) {
	if dst == 0 {
		if n.msgCBRegistered(cluster) {
			// The coordinator receives its own request (zigpy-znp #109).
			n.zdpIncomingReq(0, cluster, tsn, p)
		}
		if rsp := n.coordZDP(cluster, p); rsp != nil {
			n.zdpIncoming(0, cluster|zdpRsp, tsn, rsp, false)
		}
		return
	}
	if dst.IsBroadcast() {
		for _, d := range n.devices {
			if !n.member(d) || !reachesBroadcast(d, dst) {
				continue
			}
			d := d
			n.afterCoord(n.cfg.DeviceDelay, func() {
				if !n.member(d) {
					return
				}
				if rsp := n.deviceZDP(d, cluster, p, true); rsp != nil {
					n.zdpIncoming(d.nwk, cluster|zdpRsp, tsn, rsp, false)
				}
			})
		}
		return
	}
	d := n.deviceByNWK(dst)
	if d == nil {
		return // lost: nobody answers, the host times out
	}
	n.sendTo(d, func() {
		if rsp := n.deviceZDP(d, cluster, p, false); rsp != nil {
			n.zdpIncoming(d.nwk, cluster|zdpRsp, tsn, rsp, false)
			n.afterZDPRsp(d, cluster, p)
		}
	}, nil)
}

func (n *Network) zdpIncomingReq(src zigbee.NWK, cluster uint16, tsn uint8, p []byte) {
	var b buf
	b.u16(uint16(src)).u8(0).u16(cluster).u8(0).u8(tsn).u16(0x0000).bytes(p)
	n.areq(znp.ZDO, 0xFF, b)
}

func reachesBroadcast(d *device, dst zigbee.NWK) bool {
	switch dst {
	case zigbee.NWKBroadcastRouter:
		return d.model.router
	case zigbee.NWKBroadcastRxOn:
		return d.rxOn()
	}
	return true
}

// coordinatorNodeDescriptor: coordinator, 2.4 GHz, caps 0x8F, TI's
// manufacturer code 0x0000, server mask primary TC + network manager.
func coordinatorNodeDescriptor() []byte {
	var b buf
	b.u8(0x00).u8(0x40).u8(0x8F).u16(0x0000).u8(80).u16(160).u16(0x2C41).u16(160).u8(0x00)
	return b
}

// coordZDP serves ZDP requests addressed to the coordinator itself.
func (n *Network) coordZDP(cluster uint16, p []byte) []byte {
	r := newRd(p)
	var b buf
	switch cluster {
	case zdpNwkAddrReq, zdpIEEEAddrReq:
		if cluster == zdpNwkAddrReq {
			if r.ieee() != n.ieee() {
				return nil
			}
		} else if zigbee.NWK(r.u16()) != 0 {
			return []byte{zdpDeviceNotFound}
		}
		reqType, start := r.u8(), r.u8()
		b.u8(0).ieee(n.ieee()).u16(0)
		if reqType == 1 {
			kids := n.children()
			b.u8(uint8(len(kids))).u8(start)
			for i := int(start); i < len(kids) && i < int(start)+30; i++ {
				b.u16(uint16(kids[i].nwk))
			}
		}
		return b
	case zdpNodeDescReq:
		nwk := r.u16()
		return *b.u8(0).u16(nwk).bytes(coordinatorNodeDescriptor())
	case zdpPowerDescReq:
		nwk := r.u16()
		return *b.u8(0).u16(nwk).u8(0x10).u8(0xC1)
	case zdpSimpleDescReq:
		nwk, ep := r.u16(), r.u8()
		if ep == 0 || ep == 0xFF {
			return *b.u8(zdpInvalidEP).u16(nwk).u8(0)
		}
		for _, e := range n.eps {
			if e.id == ep {
				d := e.descriptor()
				return *b.u8(0).u16(nwk).u8(uint8(len(d))).bytes(d)
			}
		}
		return *b.u8(zdpNotActive).u16(nwk).u8(0)
	case zdpActiveEPReq:
		nwk := r.u16()
		b.u8(0).u16(nwk).u8(uint8(len(n.eps)))
		for _, e := range n.eps {
			b.u8(e.id)
		}
		return b
	case zdpMatchDescReq:
		nwk, prof, in, out := readMatch(r)
		b.u8(0).u16(nwk)
		var m []uint8
		for _, e := range n.eps {
			if matchEP(e.profile, e.in, e.out, prof, in, out) {
				m = append(m, e.id)
			}
		}
		return *b.u8(uint8(len(m))).bytes(m)
	case zdpBindReq, zdpUnbindReq:
		return []byte{zdpSuccess}
	case zdpMgmtLqiReq:
		start := r.u8()
		var nb [][]byte
		for _, d := range n.children() {
			nb = append(nb, n.neighbourRecord(d, d.rxOn(), 1, 1))
		}
		return tableRsp(nb, start, 3)
	case zdpMgmtRtgReq:
		start := r.u8()
		var rt [][]byte
		for _, d := range n.devices {
			if n.member(d) && d.model.router {
				var e buf
				e.u16(uint16(d.nwk)).u8(0x00).u16(uint16(d.nwk))
				rt = append(rt, e)
			}
		}
		return tableRsp(rt, start, 10)
	case zdpMgmtBindReq:
		start := r.u8()
		return tableRsp(nil, start, 5)
	case zdpMgmtLeaveReq:
		a, flags := r.ieee(), r.u8()
		if d := n.deviceByIEEE(a); d != nil && n.member(d) {
			n.afterCoord(n.cfg.DeviceDelay, func() { n.leave(d, flags&0x80 != 0) })
		}
		return []byte{zdpSuccess}
	case zdpMgmtPermitReq:
		dur := r.u8()
		n.permit(dur)
		return []byte{zdpSuccess}
	}
	return []byte{zdpNotSupported}
}

// afterZDPRsp runs device-side effects that follow the response.
func (n *Network) afterZDPRsp(d *device, cluster uint16, p []byte) {
	if cluster != zdpMgmtLeaveReq {
		return
	}
	r := newRd(p)
	a, flags := r.ieee(), r.u8()
	if a == 0 || a == d.ieee {
		n.afterCoord(n.cfg.DeviceDelay, func() { n.leave(d, flags&0x80 != 0) })
	}
}

func readMatch(r *rd) (uint16, uint16, []uint16, []uint16) {
	nwk, prof := r.u16(), r.u16()
	in := make([]uint16, r.u8())
	for i := range in {
		in[i] = r.u16()
	}
	out := make([]uint16, r.u8())
	for i := range out {
		out[i] = r.u16()
	}
	return nwk, prof, in, out
}

func matchEP(profile uint16, epIn, epOut []uint16, prof uint16, in, out []uint16) bool {
	if profile != prof && prof != 0xFFFF {
		return false
	}
	for _, c := range in {
		if slices.Contains(epIn, c) {
			return true
		}
	}
	for _, c := range out {
		if slices.Contains(epOut, c) {
			return true
		}
	}
	return false
}

// tableRsp builds status, total, start, count, entries (at most max).
func tableRsp(entries [][]byte, start uint8, max int) []byte {
	var b buf
	b.u8(0).u8(uint8(len(entries))).u8(start)
	var sel [][]byte
	if int(start) < len(entries) {
		sel = entries[start:]
	}
	if len(sel) > max {
		sel = sel[:max]
	}
	b.u8(uint8(len(sel)))
	for _, e := range sel {
		b.bytes(e)
	}
	return b
}

// neighbourRecord is one 22-byte Mgmt_Lqi_rsp entry. relation: 0 parent,
// 1 child, 2 sibling.
func (n *Network) neighbourRecord(d *device, rxOn bool, relation, depth uint8) []byte {
	var b buf
	b.u64(uint64(n.nib().extPANID())).ieee(d.ieee).u16(uint16(d.nwk))
	typ := uint8(2)
	if d.model.router {
		typ = 1
	}
	rx := uint8(0)
	if rxOn {
		rx = 1
	}
	b.u8(typ | rx<<2 | relation<<4).u8(0x02).u8(depth).u8(d.lqi)
	return b
}

func (n *Network) coordNeighbourRecord(lqi uint8) []byte {
	var b buf
	b.u64(uint64(n.nib().extPANID())).ieee(n.ieee()).u16(0)
	b.u8(0x00 | 1<<2 | 0<<4).u8(0x02).u8(0).u8(lqi)
	return b
}

// deviceZDP serves a ZDP request on a virtual device; nil = no answer.
func (n *Network) deviceZDP(d *device, cluster uint16, p []byte, bcast bool) []byte {
	r := newRd(p)
	var b buf
	switch cluster {
	case zdpNwkAddrReq:
		if r.ieee() != d.ieee {
			return nil
		}
		b.u8(0).ieee(d.ieee).u16(uint16(d.nwk))
		if reqType := r.u8(); reqType == 1 {
			b.u8(0).u8(r.u8())
		}
		return b
	case zdpIEEEAddrReq:
		if zigbee.NWK(r.u16()) != d.nwk {
			return nil
		}
		b.u8(0).ieee(d.ieee).u16(uint16(d.nwk))
		if reqType := r.u8(); reqType == 1 {
			b.u8(0).u8(r.u8())
		}
		return b
	case zdpNodeDescReq:
		nwk := r.u16()
		if zigbee.NWK(nwk) != d.nwk {
			return *b.u8(zdpDeviceNotFound).u16(nwk)
		}
		return *b.u8(0).u16(nwk).bytes(d.nodeDescriptor())
	case zdpPowerDescReq:
		nwk := r.u16()
		if d.model.router {
			return *b.u8(0).u16(nwk).u8(0x10).u8(0xC1)
		}
		return *b.u8(0).u16(nwk).u8(0x41).u8(0xC4)
	case zdpSimpleDescReq:
		nwk, ep := r.u16(), r.u8()
		if ep == 0 || ep == 0xFF {
			return *b.u8(zdpInvalidEP).u16(nwk).u8(0)
		}
		e := d.ep(ep)
		if e == nil {
			return *b.u8(zdpNotActive).u16(nwk).u8(0)
		}
		sd := e.simpleDescriptor()
		return *b.u8(0).u16(nwk).u8(uint8(len(sd))).bytes(sd)
	case zdpActiveEPReq:
		nwk := r.u16()
		b.u8(0).u16(nwk).u8(uint8(len(d.eps)))
		for _, e := range d.eps {
			b.u8(e.id)
		}
		return b
	case zdpMatchDescReq:
		nwk, prof, in, out := readMatch(r)
		var m []uint8
		for _, e := range d.eps {
			if matchEP(e.profile, e.in, e.out, prof, in, out) {
				m = append(m, e.id)
			}
		}
		if bcast && len(m) == 0 {
			return nil
		}
		return *b.u8(0).u16(nwk).u8(uint8(len(m))).bytes(m)
	case zdpBindReq, zdpUnbindReq:
		src, ep, cl, mode := r.ieee(), r.u8(), r.u16(), r.u8()
		bd := binding{srcEp: ep, cluster: cl, mode: mode}
		switch mode {
		case 1:
			bd.group = r.u16()
		case 3:
			bd.dst, bd.dstEp = r.ieee(), r.u8()
		default:
			return []byte{zdpNotSupported}
		}
		if !r.ok || src != d.ieee || d.ep(ep) == nil {
			return []byte{zdpInvalidEP}
		}
		i := slices.Index(d.bindings, bd)
		if cluster == zdpUnbindReq {
			if i < 0 {
				return []byte{zdpNoEntry}
			}
			d.bindings = slices.Delete(d.bindings, i, i+1)
		} else if i < 0 {
			if len(d.bindings) >= 16 {
				return []byte{zdpTableFull}
			}
			d.bindings = append(d.bindings, bd)
		}
		n.dirty = true
		return []byte{zdpSuccess}
	case zdpMgmtLqiReq:
		if !d.model.router {
			return []byte{zdpNotSupported}
		}
		start := r.u8()
		return tableRsp([][]byte{n.coordNeighbourRecord(d.lqi)}, start, 3)
	case zdpMgmtRtgReq:
		if !d.model.router {
			return []byte{zdpNotSupported}
		}
		return tableRsp(nil, r.u8(), 10)
	case zdpMgmtBindReq:
		start := r.u8()
		var es [][]byte
		for _, bd := range d.bindings {
			var e buf
			e.ieee(d.ieee).u8(bd.srcEp).u16(bd.cluster).u8(bd.mode)
			if bd.mode == 1 {
				e.u16(bd.group)
			} else {
				e.ieee(bd.dst).u8(bd.dstEp)
			}
			es = append(es, e)
		}
		return tableRsp(es, start, 3)
	case zdpMgmtLeaveReq:
		a := r.ieee()
		if a != 0 && a != d.ieee {
			return []byte{zdpNotSupported}
		}
		return []byte{zdpSuccess}
	case zdpMgmtPermitReq:
		if !d.model.router {
			if bcast {
				return nil
			}
			return []byte{zdpNotSupported}
		}
		dur := r.u8()
		d.permitEnd = time.Now().Add(time.Duration(dur) * time.Second)
		if dur > 0 {
			n.tryJoins()
		}
		if bcast {
			return nil
		}
		return []byte{zdpSuccess}
	case zdpMgmtNwkUpdate:
		return nil
	}
	if bcast {
		return nil
	}
	return []byte{zdpNotSupported}
}

func (e afEndpoint) descriptor() []byte {
	var b buf
	b.u8(e.id).u16(e.profile).u16(e.devID).u8(e.version).u8(uint8(len(e.in)))
	for _, c := range e.in {
		b.u16(c)
	}
	b.u8(uint8(len(e.out)))
	for _, c := range e.out {
		b.u16(c)
	}
	return b
}

// ---- MT ZDO requests ----

// zdoSend answers an MT ZDO request: SRSP status, then the ZDP exchange.
func zdoSend(dstFirst bool, cluster uint16, build func(r *rd) []byte) handler {
	return func(n *Network, r *rd) ([]byte, func()) {
		dst := zigbee.NWK(0)
		if dstFirst {
			dst = zigbee.NWK(r.u16())
		}
		p := build(r)
		if !r.ok {
			return nil, nil
		}
		if !n.started9() {
			return []byte{0xC2}, nil // NWK_INVALID_REQUEST: network not started
		}
		return []byte{0}, func() { n.zdpRequest(dst, cluster, n.nextZdoTSN(), p) }
	}
}

func raw(n int) func(r *rd) []byte {
	return func(r *rd) []byte { return append([]byte(nil), r.take(n)...) }
}

var zdoHandlers = map[uint8]handler{
	0x00: func(n *Network, r *rd) ([]byte, func()) { // ZDO_NWK_ADDR_REQ: broadcast
		a, reqType, start := r.ieee(), r.u8(), r.u8()
		if !r.ok {
			return nil, nil
		}
		if !n.started9() {
			return []byte{0xC2}, nil
		}
		var p buf
		p.ieee(a).u8(reqType).u8(start)
		return []byte{0}, func() {
			tsn := n.nextZdoTSN()
			d := n.deviceByIEEE(a)
			if d != nil && n.member(d) && !d.rxOn() && d.parent == 0 {
				// The parent answers for its sleeping end-device children.
				rsp := n.deviceZDP(d, zdpNwkAddrReq, p, true)
				n.afterCoord(n.cfg.DeviceDelay, func() { n.zdpIncoming(0, zdpRsp|zdpNwkAddrReq, tsn, rsp, false) })
				return
			}
			if a == n.ieee() {
				return // the coordinator does not receive its own broadcast
			}
			n.zdpRequest(zigbee.NWKBroadcastRxOn, zdpNwkAddrReq, tsn, p)
		}
	},
	0x01: func(n *Network, r *rd) ([]byte, func()) { // ZDO_IEEE_ADDR_REQ: unicast to shortAddr
		a, reqType, start := zigbee.NWK(r.u16()), r.u8(), r.u8()
		if !r.ok {
			return nil, nil
		}
		if !n.started9() {
			return []byte{0xC2}, nil
		}
		var p buf
		p.u16(uint16(a)).u8(reqType).u8(start)
		return []byte{0}, func() { n.zdpRequest(a, zdpIEEEAddrReq, n.nextZdoTSN(), p) }
	},
	0x02: zdoSend(true, zdpNodeDescReq, raw(2)),
	0x03: zdoSend(true, zdpPowerDescReq, raw(2)),
	0x04: zdoSend(true, zdpSimpleDescReq, raw(3)),
	0x05: zdoSend(true, zdpActiveEPReq, raw(2)),
	0x06: zdoSend(true, zdpMatchDescReq, func(r *rd) []byte {
		nwk, prof, in, out := readMatch(r)
		var b buf
		b.u16(nwk).u16(prof).u8(uint8(len(in)))
		for _, c := range in {
			b.u16(c)
		}
		b.u8(uint8(len(out)))
		for _, c := range out {
			b.u16(c)
		}
		return b
	}),
	0x21: zdoSend(true, zdpBindReq, bindPayload),
	0x22: zdoSend(true, zdpUnbindReq, bindPayload),
	0x31: zdoSend(true, zdpMgmtLqiReq, raw(1)),
	0x32: zdoSend(true, zdpMgmtRtgReq, raw(1)),
	0x33: zdoSend(true, zdpMgmtBindReq, raw(1)),
	0x34: zdoSend(true, zdpMgmtLeaveReq, func(r *rd) []byte { // MT flags bit0 rejoin, bit1 remove children
		a, f := r.ieee(), r.u8()
		var b buf
		return *b.ieee(a).u8((f&1)<<7 | (f&2)<<5)
	}),
	0x35: zdoSend(true, zdpMgmtDirectJoin, raw(9)),
	0x36: func(n *Network, r *rd) ([]byte, func()) { // ZDO_MGMT_PERMIT_JOIN_REQ
		mode, dst, dur, tc := r.u8(), zigbee.NWK(r.u16()), r.u8(), r.u8()
		if !r.ok {
			return nil, nil
		}
		if !n.started9() {
			return []byte{0xC2}, nil
		}
		p := []byte{dur, tc}
		return []byte{0}, func() {
			tsn := n.nextZdoTSN()
			if mode == 0x0F || dst.IsBroadcast() {
				// TI ZDP_MgmtPermitJoinReq: a unicast copy to itself, then the
				// broadcast (protocol/znp.md §11.1).
				n.zdpRequest(0, zdpMgmtPermitReq, tsn, p)
				n.zdpRequest(dst, zdpMgmtPermitReq, tsn, p)
				return
			}
			n.zdpRequest(dst, zdpMgmtPermitReq, tsn, p)
		}
	},
	0x37: func(n *Network, r *rd) ([]byte, func()) { // ZDO_MGMT_NWK_UPDATE_REQ
		dst, _, mask, scan, _, mgr := zigbee.NWK(r.u16()), r.u8(), r.u32(), r.u8(), r.u8(), r.u16()
		if !r.ok {
			return nil, nil
		}
		if !n.started9() {
			return []byte{0xC2}, nil
		}
		return []byte{0}, func() { n.nwkUpdate(dst, zigbee.ChannelMask(mask), scan, zigbee.NWK(mgr)) }
	},
	0x3E: func(n *Network, r *rd) ([]byte, func()) { // ZDO_MSG_CB_REGISTER
		c := r.u16()
		if !r.ok {
			return nil, nil
		}
		n.msgCB[c] = true
		return []byte{0}, nil
	},
	0x3F: func(n *Network, r *rd) ([]byte, func()) { // ZDO_MSG_CB_REMOVE
		c := r.u16()
		if !r.ok {
			return nil, nil
		}
		delete(n.msgCB, c)
		return []byte{0}, nil
	},
	0x40: func(n *Network, r *rd) ([]byte, func()) { // ZDO_STARTUP_FROM_APP: 3.x.0 starts BDB, answers 0
		r.u16()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, func() { n.startNetwork() }
	},
	0x45: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_ROUTE_DISC
		r.u16()
		r.u8()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x46: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_ROUTE_CHECK
		dst := zigbee.NWK(r.u16())
		r.u8()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		if n.deviceByNWK(dst) != nil {
			return []byte{0}, nil
		}
		return []byte{0xCD}, nil
	},
	0x47: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_REMOVE_GROUP
		ep, g := r.u8(), r.u16()
		if !r.ok {
			return nil, nil
		}
		for i, cg := range n.groups {
			if cg.Endpoint == ep && cg.Group == g {
				n.groups = slices.Delete(n.groups, i, i+1)
				n.dirty = true
				return []byte{0}, nil
			}
		}
		return []byte{1}, nil
	},
	0x48: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_REMOVE_ALL_GROUP
		ep := r.u8()
		if !r.ok {
			return nil, nil
		}
		n.groups = slices.DeleteFunc(n.groups, func(g coordGroup) bool { return g.Endpoint == ep })
		n.dirty = true
		return []byte{0}, nil
	},
	0x4A: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_FIND_GROUP: always 19 bytes
		ep, g := r.u8(), r.u16()
		if !r.ok {
			return nil, nil
		}
		out := make([]byte, 19)
		out[0] = 1
		for _, cg := range n.groups {
			if cg.Endpoint == ep && cg.Group == g {
				out[0] = 0
				binary.LittleEndian.PutUint16(out[1:], g)
				name := []byte(cg.Name)
				if len(name) > 15 {
					name = name[:15]
				}
				out[3] = uint8(len(name))
				copy(out[4:], name)
			}
		}
		return out, nil
	},
	0x4B: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_ADD_GROUP
		ep, g, l := r.u8(), r.u16(), r.u8()
		name := r.take(int(l))
		if !r.ok {
			return nil, nil
		}
		for _, cg := range n.groups {
			if cg.Endpoint == ep && cg.Group == g {
				return []byte{0xB8}, nil // APS_DUPLICATE_ENTRY
			}
		}
		n.groups = append(n.groups, coordGroup{Endpoint: ep, Group: g, Name: string(name)})
		n.saveNow()
		return []byte{0}, nil
	},
	0x4C: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_COUNT_ALL_GROUPS
		return []byte{uint8(len(n.groups))}, nil
	},
	0x50: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_NWK_INFO (24 bytes, herdsman layout)
		var b buf
		nb := n.nib()
		short, pan, ext, ch := zigbee.NWKInvalid, zigbee.PANID(0xFFFF), zigbee.ExtPANID(0), zigbee.Channel(0)
		if nb.valid() {
			pan, ext, ch = nb.panID(), nb.extPANID(), nb.channel()
		}
		if n.started9() {
			short = 0
		}
		b.u16(uint16(short)).u8(n.state).u16(uint16(pan)).u16(0xFFFE).u64(uint64(ext)).u64(0).u8(uint8(ch))
		return b, nil
	},
	0x51: func(n *Network, r *rd) ([]byte, func()) { // ZDO_EXT_SEC_APS_REMOVE_REQ
		r.u16() // nwk
		a := r.ieee()
		r.u16() // parent
		if !r.ok {
			return nil, nil
		}
		if d := n.deviceByIEEE(a); d != nil && n.member(d) {
			return []byte{0}, func() { n.removeFromTables(d) }
		}
		return []byte{0}, nil
	},
}

// bindPayload converts the MT bind layout (dst address always 8 bytes)
// into the ZDP one (2 bytes for groups, 8 + endpoint otherwise).
func bindPayload(r *rd) []byte {
	src, ep, cl, mode := r.ieee(), r.u8(), r.u16(), r.u8()
	dst := r.take(8)
	dstEp := r.u8()
	var b buf
	b.ieee(src).u8(ep).u16(cl).u8(mode)
	if mode == 1 {
		b.bytes(dst[:2])
	} else {
		b.bytes(dst).u8(dstEp)
	}
	return b
}

// nwkUpdate handles Mgmt_NWK_Update_req: channel change (0xFE), manager
// change (0xFF) or an energy scan (0–5).
func (n *Network) nwkUpdate(dst zigbee.NWK, mask zigbee.ChannelMask, scan uint8, mgr zigbee.NWK) {
	nb := n.nib()
	switch {
	case scan == 0xFE:
		cs := mask.Channels()
		if len(cs) == 0 || !nb.valid() {
			return
		}
		if dst == 0 || dst.IsBroadcast() {
			n.afterCoord(n.cfg.DeviceDelay, func() {
				nb := n.nib()
				if !nb.valid() {
					return
				}
				nb.setChannel(cs[0])
				nb.setUpdateID(nb.updateID() + 1)
				n.saveNow()
				n.log.Info("channel changed", "event", "channel_change", "channel", cs[0])
			})
		}
	case scan == 0xFF:
		if nb.valid() {
			binary.LittleEndian.PutUint16(nb[nibManagerAddr:], uint16(mgr))
			n.saveNow()
		}
	case scan <= 5 && dst == 0:
		n.afterCoord(n.cfg.DeviceDelay*time.Duration(1+scan), func() {
			cs := mask.Channels()
			var b buf
			b.u8(0).u32(uint32(mask)).u16(100).u16(0).u8(uint8(len(cs)))
			for range cs {
				b.u8(uint8(n.rng.IntN(60)))
			}
			n.zdpIncoming(0, zdpRsp|zdpMgmtNwkUpdate, n.nextZdoTSN(), b, false)
		})
	}
}
