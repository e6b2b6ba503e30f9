package sim

import (
	"slices"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// AF and MAC status codes used in SRSPs and AF_DATA_CONFIRM (§6).
const (
	afInvalidParam     = 0x02
	apsDuplicateEntry  = 0xB8
	nwkInvalidRequest  = 0xC2
	nwkNoRoute         = 0xCD
	macNoAck           = 0xE9
	macTransactionExpd = 0xF0
)

// maxIncomingData is the largest ZCL payload that fits AF_INCOMING_MSG
// (17 header bytes + 3 trailer bytes within 250); larger ones go out as
// AF_INCOMING_MSG_EXT without data, to be fetched with AF_DATA_RETRIEVE.
const maxIncomingData = znp.MaxPayload - 20

// apsReq is a data request from the host.
type apsReq struct {
	mode    uint8 // 1 group, 2 NWK (or broadcast), 3 IEEE, 15 broadcast
	dst     zigbee.NWK
	dstIEEE zigbee.IEEE
	dstEp   uint8
	srcEp   uint8
	cluster uint16
	transID uint8
	data    []byte
}

var afHandlers = map[uint8]handler{
	0x00: func(n *Network, r *rd) ([]byte, func()) { // AF_REGISTER
		e := afEndpoint{id: r.u8(), profile: r.u16(), devID: r.u16(), version: r.u8()}
		r.u8() // latency
		e.in = make([]uint16, r.u8())
		for i := range e.in {
			e.in[i] = r.u16()
		}
		e.out = make([]uint16, r.u8())
		for i := range e.out {
			e.out[i] = r.u16()
		}
		if !r.ok {
			return nil, nil
		}
		if n.endpointRegistered(e.id) {
			return []byte{apsDuplicateEntry}, nil
		}
		if e.id == 0 || e.id == 0xFF {
			return []byte{afInvalidParam}, nil
		}
		n.eps = append(n.eps, e)
		return []byte{0}, nil
	},
	0x04: func(n *Network, r *rd) ([]byte, func()) { // AF_DELETE
		ep := r.u8()
		if !r.ok {
			return nil, nil
		}
		i := slices.IndexFunc(n.eps, func(e afEndpoint) bool { return e.id == ep })
		if i < 0 {
			return []byte{afInvalidParam}, nil
		}
		n.eps = slices.Delete(n.eps, i, i+1)
		return []byte{0}, nil
	},
	0x01: func(n *Network, r *rd) ([]byte, func()) { // AF_DATA_REQUEST
		q := apsReq{mode: 2, dst: zigbee.NWK(r.u16()), dstEp: r.u8(), srcEp: r.u8(), cluster: r.u16(), transID: r.u8()}
		r.u8() // options
		r.u8() // radius
		q.data = append([]byte(nil), r.take(int(r.u8()))...)
		if !r.ok {
			return nil, nil
		}
		return n.dataRequest(q)
	},
	0x02: func(n *Network, r *rd) ([]byte, func()) { // AF_DATA_REQUEST_EXT
		q := apsReq{mode: r.u8()}
		addr := r.u64()
		q.dstEp = r.u8()
		r.u16() // dst PAN: 0 = own
		q.srcEp, q.cluster, q.transID = r.u8(), r.u16(), r.u8()
		r.u8()
		r.u8()
		q.data = append([]byte(nil), r.take(int(r.u16()))...)
		if !r.ok {
			return nil, nil
		}
		if q.mode == 3 {
			q.dstIEEE = zigbee.IEEE(addr)
		} else {
			q.dst = zigbee.NWK(addr)
		}
		return n.dataRequest(q)
	},
	0x03: func(n *Network, r *rd) ([]byte, func()) { // AF_DATA_REQUEST_SRC_RTG
		q := apsReq{mode: 2, dst: zigbee.NWK(r.u16()), dstEp: r.u8(), srcEp: r.u8(), cluster: r.u16(), transID: r.u8()}
		r.u8()
		r.u8()
		r.take(2 * int(r.u8())) // relays
		q.data = append([]byte(nil), r.take(int(r.u8()))...)
		if !r.ok {
			return nil, nil
		}
		return n.dataRequest(q)
	},
	0x10: func(n *Network, r *rd) ([]byte, func()) { // AF_INTER_PAN_CTL
		r.u8()
		if !r.ok {
			return nil, nil
		}
		r.rest()
		return []byte{0}, nil
	},
	0x12: func(n *Network, r *rd) ([]byte, func()) { // AF_DATA_RETRIEVE
		ts, idx, l := r.u32(), r.u16(), r.u8()
		if !r.ok {
			return nil, nil
		}
		data, ok := n.retrieve[ts]
		if !ok {
			return []byte{afInvalidParam, 0}, nil
		}
		if l == 0 {
			delete(n.retrieve, ts)
			return []byte{0, 0}, nil
		}
		if int(idx) >= len(data) {
			return []byte{afInvalidParam, 0}, nil
		}
		chunk := data[idx:]
		if len(chunk) > int(l) {
			chunk = chunk[:l]
		}
		var b buf
		return *b.u8(0).u8(uint8(len(chunk))).bytes(chunk), nil
	},
}

func (n *Network) endpointRegistered(ep uint8) bool {
	return slices.ContainsFunc(n.eps, func(e afEndpoint) bool { return e.id == ep })
}

// dataRequest accepts an AF data request: SRSP status, then (after
// ConfirmDelay) AF_DATA_CONFIRM with the same transId and, from the
// device, whatever it answers.
func (n *Network) dataRequest(q apsReq) ([]byte, func()) {
	if !n.started9() {
		return []byte{nwkInvalidRequest}, nil
	}
	if !n.endpointRegistered(q.srcEp) {
		return []byte{afInvalidParam}, nil
	}
	return []byte{0}, func() {
		n.bumpFrameCounter()
		confirm := func(status uint8) {
			n.areq(znp.AF, 0x80, []byte{status, q.srcEp, q.transID})
		}
		if len(n.faults.confirm) > 0 {
			st := n.faults.confirm[0]
			n.faults.confirm = n.faults.confirm[1:]
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(st) })
			return
		}
		switch {
		case q.mode == 1: // group
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
			for _, d := range n.devices {
				if !n.member(d) || !d.rxOn() {
					continue
				}
				for _, e := range d.eps {
					if e.groups[uint16(q.dst)] {
						d, e := d, e
						n.afterCoord(n.cfg.DeviceDelay, func() {
							if n.member(d) {
								n.deviceAPS(d, e.id, q.srcEp, q.cluster, q.data, uint16(q.dst), true)
							}
						})
					}
				}
			}
		case q.mode == 15 || (q.mode == 2 && q.dst.IsBroadcast()):
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
			for _, d := range n.devices {
				if !n.member(d) || !reachesBroadcast(d, q.dst) || !d.rxOn() && d.model.sleepy {
					continue
				}
				d := d
				n.afterCoord(n.cfg.DeviceDelay, func() {
					if n.member(d) {
						n.deviceAPS(d, q.dstEp, q.srcEp, q.cluster, q.data, 0, true)
					}
				})
			}
		default: // unicast
			var d *device
			if q.mode == 3 {
				if q.dstIEEE == n.ieee() {
					q.dst = 0
				} else if x := n.deviceByIEEE(q.dstIEEE); x != nil && n.member(x) {
					d = x
				}
			} else if q.dst != 0 {
				d = n.deviceByNWK(q.dst)
			}
			if q.dst == 0 && d == nil && (q.mode != 3 || q.dstIEEE == n.ieee()) {
				n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
				if q.dstEp == 0 && len(q.data) > 0 {
					// A ZDP request the host sends to the coordinator's own
					// ZDO (zigpy style): answered like any other.
					tsn, p := q.data[0], q.data[1:]
					n.afterCoord(n.cfg.ConfirmDelay, func() {
						if rsp := n.coordZDP(q.cluster, p); rsp != nil {
							n.zdpIncoming(0, q.cluster|zdpRsp, tsn, rsp, false)
						}
					})
				}
				return
			}
			if d == nil {
				st := uint8(nwkNoRoute)
				if q.mode == 2 && n.knownNWK(q.dst) || q.mode == 3 && n.deviceByIEEE(q.dstIEEE) != nil {
					st = macNoAck // a former neighbour that no longer answers
				}
				n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(st) })
				return
			}
			n.sendTo(d, func() {
				n.deviceAPS(d, q.dstEp, q.srcEp, q.cluster, q.data, 0, false)
			}, confirm)
		}
	}
}

// sendTo delivers fn to device d over the air: directly to devices whose
// receiver is on (or sleepy ones in their awake window), otherwise through
// the parent's indirect queue until the next poll or until the MAC
// transaction expires. confirm (may be nil) gets the MAC status.
func (n *Network) sendTo(d *device, fn func(), confirm func(uint8)) {
	if !d.model.sleepy || time.Now().Before(d.awakeUntil) {
		if confirm != nil {
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
		}
		n.afterCoord(n.cfg.DeviceDelay, func() {
			if n.member(d) {
				n.touch(d)
				fn()
			}
		})
		return
	}
	in := &indirect{}
	in.deliver = func() {
		if confirm != nil {
			n.afterCoord(n.cfg.ConfirmDelay, func() { confirm(0) })
		}
		n.afterCoord(n.cfg.DeviceDelay, func() {
			if n.member(d) {
				fn()
			}
		})
	}
	d.indirect = append(d.indirect, in)
	n.afterCoord(macTransactionPersistence, func() {
		if in.done {
			return
		}
		in.expired = true
		d.indirect = slices.DeleteFunc(d.indirect, func(x *indirect) bool { return x == in })
		if confirm != nil {
			confirm(macTransactionExpd)
		}
	})
}

// touch keeps a sleepy device polling fast after activity.
func (n *Network) touch(d *device) {
	if d.model.sleepy {
		d.awakeUntil = time.Now().Add(n.cfg.AwakeTime)
	}
}

// wake makes a sleepy device poll now (button press, join) and deliver
// what its parent holds.
func (n *Network) wake(d *device) {
	n.touch(d)
	n.poll(d)
}

// poll is a data request from a sleepy child: every frame waiting in the
// parent's queue is delivered.
func (n *Network) poll(d *device) {
	q := d.indirect
	d.indirect = nil
	for _, in := range q {
		if !in.expired && !in.done {
			in.done = true
			in.deliver()
		}
	}
}

// schedulePoll arms the long-poll timer of a sleepy member device.
func (n *Network) schedulePoll(d *device) {
	d.pollGen++
	g := d.pollGen
	n.after(n.cfg.PollInterval, func() {
		if d.pollGen != g || !n.member(d) {
			return
		}
		n.poll(d)
		n.schedulePoll(d)
	})
}

// deviceAPS hands an APS frame to a device endpoint: ZDP on endpoint 0,
// ZCL elsewhere (0xFF = every endpoint).
func (n *Network) deviceAPS(d *device, dstEp, srcEp uint8, cluster uint16, data []byte, group uint16, multicast bool) {
	if dstEp == 0 {
		if len(data) < 1 {
			return
		}
		tsn, p := data[0], data[1:]
		if rsp := n.deviceZDP(d, cluster, p, multicast); rsp != nil {
			n.zdpIncoming(d.nwk, cluster|zdpRsp, tsn, rsp, false)
			n.afterZDPRsp(d, cluster, p)
		}
		return
	}
	for _, e := range d.eps {
		if dstEp == 0xFF || e.id == dstEp || group != 0 {
			if group != 0 && !e.groups[group] {
				continue
			}
			n.deviceZCL(d, e, srcEp, cluster, data, multicast)
		}
	}
}

// deviceToCoordinator sends an APS frame from a device to the coordinator:
// it reaches the host as AF_INCOMING_MSG if the endpoint is registered.
func (n *Network) deviceToCoordinator(d *device, srcEp, dstEp uint8, cluster uint16, data []byte, group uint16) {
	if !n.started9() || !n.member(d) {
		return
	}
	if group == 0 && !n.endpointRegistered(dstEp) {
		return // AF drops frames for endpoints the host did not register
	}
	ts := n.timestamp()
	mac := d.nwk
	if d.parent != 0 {
		mac = d.parent
	}
	var b buf
	if len(data) <= maxIncomingData {
		b.u16(group).u16(cluster).u16(uint16(d.nwk)).u8(srcEp).u8(dstEp).u8(0).u8(d.lqi).u8(0).u32(ts).u8(0)
		b.u8(uint8(len(data))).bytes(data).u16(uint16(mac)).u8(0x1D)
		n.areq(znp.AF, 0x81, b)
		return
	}
	n.retrieve[ts] = append([]byte(nil), data...)
	b.u16(group).u16(cluster).u8(2).u64(uint64(d.nwk)).u8(srcEp).u16(uint16(n.nib().panID())).u8(dstEp)
	b.u8(0).u8(d.lqi).u8(0).u32(ts).u8(0).u16(uint16(len(data))).u16(uint16(mac)).u8(0x1D)
	n.areq(znp.AF, 0x82, b)
}
