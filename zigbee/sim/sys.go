package sim

import (
	"encoding/binary"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// maxNVChunk is the most NV data one read SRSP carries (status and length
// bytes take the rest of the 250-byte MT limit).
const maxNVChunk = znp.MaxPayload - 2

var sysHandlers = map[uint8]handler{
	0x01: func(n *Network, r *rd) ([]byte, func()) { // SYS_PING
		var b buf
		return *b.u16(capabilities), nil
	},
	0x02: func(n *Network, r *rd) ([]byte, func()) { // SYS_VERSION (10-byte form, observed)
		var b buf
		b.u8(transportRev).u8(productZStack3).u8(majorRel).u8(minorRel).u8(maintRel).u32(revision).u8(0)
		return b, nil
	},
	0x03: func(n *Network, r *rd) ([]byte, func()) { // SYS_SET_EXTADDR
		a := r.ieee()
		if !r.ok {
			return nil, nil
		}
		n.nv.set(nvExtAddr, binary.LittleEndian.AppendUint64(nil, uint64(a)))
		n.saveNow()
		return []byte{0}, nil
	},
	0x04: func(n *Network, r *rd) ([]byte, func()) { // SYS_GET_EXTADDR
		var b buf
		return *b.ieee(n.ieee()), nil
	},
	0x07: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_ITEM_INIT
		id, itemLen, initLen := r.u16(), r.u16(), r.u8()
		data := r.take(int(initLen))
		if !r.ok {
			return nil, nil
		}
		if _, ok := n.nv.get(id); ok {
			return []byte{nvSuccess}, nil
		}
		if itemLen == 0 || int(initLen) > int(itemLen) {
			return []byte{nvOperFailed}, nil
		}
		v := make([]byte, itemLen)
		copy(v, data)
		n.nv.set(id, v)
		n.saveNow()
		return []byte{nvItemUninit}, nil
	},
	0x08: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_READ
		id, off := r.u16(), r.u8()
		if !r.ok {
			return nil, nil
		}
		return n.nvRead(id, int(off)), nil
	},
	0x1C: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_READ_EXT
		id, off := r.u16(), r.u16()
		if !r.ok {
			return nil, nil
		}
		return n.nvRead(id, int(off)), nil
	},
	0x09: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_WRITE
		id, off, l := r.u16(), r.u8(), r.u8()
		v := r.take(int(l))
		if !r.ok {
			return nil, nil
		}
		return []byte{n.nvWrite(id, int(off), v)}, nil
	},
	0x1D: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_WRITE_EXT
		id, off, l := r.u16(), r.u16(), r.u16()
		v := r.take(int(l))
		if !r.ok {
			return nil, nil
		}
		return []byte{n.nvWrite(id, int(off), v)}, nil
	},
	0x12: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_DELETE
		id, l := r.u16(), r.u16()
		if !r.ok {
			return nil, nil
		}
		v, ok := n.nv.get(id)
		switch {
		case !ok:
			return []byte{nvItemUninit}, nil
		case len(v) != int(l):
			return []byte{nvBadItemLen}, nil
		}
		delete(n.nv.legacy, id)
		n.saveNow()
		return []byte{nvSuccess}, nil
	},
	0x13: func(n *Network, r *rd) ([]byte, func()) { // SYS_OSAL_NV_LENGTH
		id := r.u16()
		if !r.ok {
			return nil, nil
		}
		v, _ := n.nv.get(id)
		var b buf
		return *b.u16(uint16(len(v))), nil
	},
	0x0F: func(n *Network, r *rd) ([]byte, func()) { // SYS_STACK_TUNE
		// Setting the TX power answers the ZMac status (observed: 00 for
		// 20 dBm on a 20240710 build, trace z-h-c #8776).
		r.u8()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x14: func(n *Network, r *rd) ([]byte, func()) { // SYS_SET_TX_POWER: 3.x.0 answers a status
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x30: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_CREATE
		k := readExtKey(r)
		l := r.u32()
		if !r.ok {
			return nil, nil
		}
		if l == 0 || l > 0xFFFF {
			return []byte{nvxBadParam}, nil
		}
		if _, ok := n.nv.getExt(k); !ok {
			n.nv.setExt(k, make([]byte, l))
			n.saveNow()
		}
		return []byte{0}, nil
	},
	0x31: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_DELETE
		k := readExtKey(r)
		if !r.ok {
			return nil, nil
		}
		if !n.nv.deleteExt(k) {
			return []byte{nvxNotFound}, nil
		}
		n.saveNow()
		return []byte{0}, nil
	},
	0x32: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_LENGTH: u32 on the wire
		k := readExtKey(r)
		if !r.ok {
			return nil, nil
		}
		v, _ := n.nv.getExt(k)
		var b buf
		return *b.u32(uint32(len(v))), nil
	},
	0x33: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_READ
		k := readExtKey(r)
		off, l := r.u16(), r.u8()
		if !r.ok {
			return nil, nil
		}
		v, ok := n.nv.getExt(k)
		if !ok {
			return []byte{nvxNotFound, 0}, nil
		}
		if int(off)+int(l) > len(v) || int(l) > maxNVChunk {
			return []byte{0x05, 0}, nil // NVINTF_BADLENGTH
		}
		var b buf
		b.u8(0).u8(l).bytes(v[off : int(off)+int(l)])
		return b, nil
	},
	0x34: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_WRITE
		k := readExtKey(r)
		off, l := r.u16(), r.u8()
		v := r.take(int(l))
		if !r.ok {
			return nil, nil
		}
		if off != 0 {
			return []byte{nvxBadParam}, nil
		}
		n.nv.setExt(k, v)
		n.saveNow()
		return []byte{0}, nil
	},
	0x35: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_UPDATE
		k := readExtKey(r)
		l := r.u8()
		v := r.take(int(l))
		if !r.ok {
			return nil, nil
		}
		n.nv.setExt(k, v)
		n.saveNow()
		return []byte{0}, nil
	},
	0x36: func(n *Network, r *rd) ([]byte, func()) { // SYS_NV_COMPACT
		r.u16()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
}

func readExtKey(r *rd) extKey {
	return extKey{sys: r.u8(), item: r.u16(), sub: r.u16()}
}

// nvRead answers OSAL_NV_READ(_EXT): missing item or offset past the end
// → status 0x02 with no data (§8.5, observed FE 02 61 1C 02 00 7D).
func (n *Network) nvRead(id uint16, off int) []byte {
	v, ok := n.nv.get(id)
	if !ok || off >= len(v) {
		return []byte{nvBadParam, 0}
	}
	chunk := v[off:]
	if len(chunk) > maxNVChunk {
		chunk = chunk[:maxNVChunk]
	}
	var b buf
	b.u8(0).u8(uint8(len(chunk))).bytes(chunk)
	return b
}

// nvWrite is OSAL_NV_WRITE(_EXT): items cannot grow; missing items must be
// created with ITEM_INIT first.
func (n *Network) nvWrite(id uint16, off int, v []byte) uint8 {
	cur, ok := n.nv.get(id)
	if !ok || off+len(v) > len(cur) {
		return nvBadParam
	}
	nv := append([]byte(nil), cur...)
	copy(nv[off:], v)
	n.nv.set(id, nv)
	n.saveNow()
	return nvSuccess
}

var utilHandlers = map[uint8]handler{
	0x00: func(n *Network, r *rd) ([]byte, func()) { // UTIL_GET_DEVICE_INFO
		short := zigbee.NWKInvalid
		if n.started9() {
			short = 0x0000
		}
		kids := n.children()
		if len(kids) > 100 {
			kids = kids[:100]
		}
		var b buf
		b.u8(0).ieee(n.ieee()).u16(uint16(short)).u8(0x07).u8(n.state).u8(uint8(len(kids)))
		for _, d := range kids {
			b.u16(uint16(d.nwk))
		}
		return b, nil
	},
	0x0A: func(n *Network, r *rd) ([]byte, func()) { // UTIL_LED_CONTROL
		r.u8()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x40: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ADDRMGR_EXT_ADDR_LOOKUP
		a := r.ieee()
		if !r.ok {
			return nil, nil
		}
		nwk := zigbee.NWKInvalid
		if a == n.ieee() {
			nwk = 0
		} else if d := n.deviceByIEEE(a); d != nil && n.member(d) {
			nwk = d.nwk
		}
		var b buf
		return *b.u16(uint16(nwk)), nil
	},
	0x41: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ADDRMGR_NWK_ADDR_LOOKUP
		a := zigbee.NWK(r.u16())
		if !r.ok {
			return nil, nil
		}
		var ieee zigbee.IEEE
		if a == 0 {
			ieee = n.ieee()
		} else if d := n.deviceByNWK(a); d != nil {
			ieee = d.ieee
		}
		var b buf
		return *b.ieee(ieee), nil
	},
	0x48: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ASSOC_COUNT
		r.u8()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		var b buf
		return *b.u16(uint16(len(n.children()))), nil
	},
	0x49: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ASSOC_FIND_DEVICE
		i := r.u8()
		if !r.ok {
			return nil, nil
		}
		kids := n.children()
		if int(i) < len(kids) {
			return n.assocRecord(kids[i], int(i)), nil
		}
		return n.assocRecord(nil, 0), nil
	},
	0x4A: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ASSOC_GET_WITH_ADDRESS
		a := r.ieee()
		nwk := zigbee.NWK(r.u16())
		if !r.ok {
			return nil, nil
		}
		for i, d := range n.children() {
			if (a != 0 && d.ieee == a) || (a == 0 && d.nwk == nwk) {
				return n.assocRecord(d, i), nil
			}
		}
		return n.assocRecord(nil, 0), nil
	},
	0x63: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ASSOC_REMOVE (Koenkk builds)
		r.ieee()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x64: func(n *Network, r *rd) ([]byte, func()) { // UTIL_ASSOC_ADD (Koenkk builds)
		r.ieee()
		r.u16()
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
}

// children are the members whose parent is the coordinator.
func (n *Network) children() []*device {
	var out []*device
	for _, d := range n.devices {
		if n.member(d) && d.parent == 0 {
			out = append(out, d)
		}
	}
	return out
}

// assocRecord is an aligned associated_devices_t (36 bytes on CC26xx):
// shortAddr, addrIdx, nodeRelation, devStatus, assocCnt, age, linkInfo
// (txCounter, txCost, rxLqi, inKeySeqNum, inFrmCntr u32, txFailure u16),
// endDev (endDevCfg, deviceTimeout u32), timeoutCounter u32, keepaliveRcv,
// ctrl. An unused slot has shortAddr 0xFFFE and relation 0xFF.
func (n *Network) assocRecord(d *device, idx int) []byte {
	b := make([]byte, 36)
	if d == nil {
		binary.LittleEndian.PutUint16(b[0:], 0xFFFE)
		b[4] = 0xFF
		return b
	}
	binary.LittleEndian.PutUint16(b[0:], uint16(d.nwk))
	binary.LittleEndian.PutUint16(b[2:], uint16(idx))
	if d.model.router {
		b[4] = 0x02 // CHILD_FFD
	} else if d.rxOn() {
		b[4] = 0x03
	} else {
		b[4] = 0x01 // CHILD_RFD
	}
	b[10] = d.lqi
	binary.LittleEndian.PutUint32(b[24:], 8)
	return b
}

var appCnfHandlers = map[uint8]handler{
	0x04: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_ADD_INSTALLCODE
		r.u8()
		r.ieee()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x05: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_START_COMMISSIONING
		mode := r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, func() {
			switch {
			case mode&0x04 != 0:
				n.startNetwork()
			case mode&0x02 != 0 && n.started9():
				n.permit(180) // network steering on a coordinator opens the network
				n.areq(znp.APPCNF, 0x80, []byte{0x00, 0x02, 0x00})
			}
		}
	},
	0x06: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_SET_JOINUSESINSTALLCODEKEY
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x07: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_SET_ACTIVE_DEFAULT_CENTRALIZED_KEY
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
	0x08: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_SET_CHANNEL
		primary, mask := r.u8(), r.u32()
		if !r.ok {
			return nil, nil
		}
		if primary != 0 {
			n.bdbPrimary = mask
		} else {
			n.bdbSecondary = mask
		}
		return []byte{0}, nil
	},
	0x09: func(n *Network, r *rd) ([]byte, func()) { // APP_CNF_BDB_SET_TC_REQUIRE_KEY_EXCHANGE
		r.u8()
		if !r.ok {
			return nil, nil
		}
		return []byte{0}, nil
	},
}
