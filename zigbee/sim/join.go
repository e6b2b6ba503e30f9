package sim

import (
	"encoding/binary"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// permit applies a permit-join duration to the coordinator: 0 closes,
// 255 opens until closed, anything else opens for that many seconds.
// Expiry is reported with ZDO_PERMIT_JOIN_IND(0).
func (n *Network) permit(dur uint8) {
	n.permitGen++
	n.permitEnd, n.permitForever = time.Time{}, false
	switch dur {
	case 0:
		return
	case 0xFF:
		n.permitForever = true
	default:
		d := time.Duration(dur) * time.Second
		n.permitEnd = time.Now().Add(d)
		g := n.permitGen
		n.afterCoord(d, func() {
			if n.permitGen == g {
				n.permitEnd = time.Time{}
				n.areq(znp.ZDO, 0xCB, []byte{0})
			}
		})
	}
	n.tryJoins()
}

func (n *Network) permitOpen() bool {
	return n.started9() && (n.permitForever || time.Now().Before(n.permitEnd))
}

// joinParent picks where a joining device associates: the coordinator if
// it permits joining, else a router that does.
func (n *Network) joinParent() (zigbee.NWK, bool) {
	if n.permitOpen() {
		return 0, true
	}
	if !n.started9() {
		return 0, false
	}
	for _, d := range n.devices {
		if n.member(d) && d.model.router && time.Now().Before(d.permitEnd) {
			return d.nwk, true
		}
	}
	return 0, false
}

// tryJoins lets every pressed, unjoined device join if the network is open,
// one after the other.
func (n *Network) tryJoins() {
	if _, ok := n.joinParent(); !ok {
		return
	}
	delay := n.cfg.DeviceDelay
	for _, d := range n.devices {
		if d.pressed && !n.member(d) {
			d := d
			n.afterCoord(delay, func() { n.join(d) })
			delay += n.cfg.DeviceDelay
		}
	}
}

// join associates d: the trust centre authorises it (ZDO_TC_DEV_IND), the
// device announces itself (ZDO_END_DEVICE_ANNCE_IND), protocol/znp.md §11.2.
func (n *Network) join(d *device) {
	if !d.pressed || n.member(d) {
		return
	}
	parent, ok := n.joinParent()
	if !ok {
		return
	}
	nb := n.nib()
	d.nwk = n.newNWK() // a fresh association gets a fresh stochastic address
	d.joined, d.extPAN, d.pan, d.parent, d.pressed = true, nb.extPANID(), nb.panID(), parent, false
	copy(d.key[:], n.networkKey())
	n.addToTables(d)
	n.saveNow()
	n.log.Info("device joined", "event", "device_joined", "ieee", d.ieee, "nwk", d.nwk, "kind", string(d.kind))
	var b buf
	b.u16(uint16(d.nwk)).ieee(d.ieee).u16(uint16(parent))
	n.areq(znp.ZDO, 0xCA, b)
	n.touch(d)
	n.afterCoord(n.cfg.DeviceDelay, func() { n.announce(d) })
}

// announce broadcasts Device_annce and starts the device's own activity.
func (n *Network) announce(d *device) {
	if !n.member(d) {
		return
	}
	var p buf
	p.u16(uint16(d.nwk)).ieee(d.ieee).u8(d.capabilities())
	n.zdpIncoming(d.nwk, zdpDeviceAnnce, d.nextTSN(), p, true)
	for _, ch := range n.joinWait[d.ieee] {
		ch <- d.nwk
	}
	delete(n.joinWait, d.ieee)
	n.startDevice(d)
}

// leave takes d off the network (ZDO_LEAVE_IND). Without rejoin the device
// forgets its bindings and groups, as after a factory reset.
func (n *Network) leave(d *device, rejoin bool) {
	if !n.member(d) {
		return
	}
	rj := uint8(0)
	if rejoin {
		rj = 1
	}
	var b buf
	b.u16(uint16(d.nwk)).ieee(d.ieee).u8(0).u8(0).u8(rj)
	if n.started9() {
		n.areq(znp.ZDO, 0xC9, b)
	}
	n.log.Info("device left", "event", "device_left", "ieee", d.ieee, "nwk", d.nwk, "rejoin", rejoin)
	d.joined = false
	d.indirect = nil
	d.pollGen++
	d.sensorGen++
	if rejoin {
		n.afterCoord(n.cfg.DeviceDelay, func() { n.rejoin(d) })
		return
	}
	n.removeFromTables(d)
	d.bindings = nil
	for _, e := range d.eps {
		clear(e.groups)
	}
	n.dirty = true
}

// rejoin is a secured rejoin with the network key the device still holds:
// no permit join needed, same address.
func (n *Network) rejoin(d *device) {
	nb := n.nib()
	if !n.started9() || !nb.formed() {
		return
	}
	d.joined = true
	var b buf
	b.u16(uint16(d.nwk)).ieee(d.ieee).u16(uint16(d.parent))
	n.areq(znp.ZDO, 0xCA, b)
	n.afterCoord(n.cfg.DeviceDelay, func() { n.announce(d) })
}

// addToTables records d in the address manager (user bits: 1 assoc,
// 2 security) and the TC link key table, as the trust centre does.
func (n *Network) addToTables(d *device) {
	user := uint8(0x02)
	if d.parent == 0 {
		user |= 0x01
	}
	entry := []byte{user, 0xFF}
	entry = binary.LittleEndian.AppendUint16(entry, uint16(d.nwk))
	entry = binary.LittleEndian.AppendUint64(entry, uint64(d.ieee))
	n.putTableEntry(exAddrMgr, capAddrMgr, entry, func(e []byte) (match, free bool) {
		return len(e) == addrMgrEntryLen && binary.LittleEndian.Uint64(e[4:]) == uint64(d.ieee),
			len(e) == addrMgrEntryLen && e[0] == 0
	})
	tk := make([]byte, 8, tclkEntryLen)
	tk = binary.LittleEndian.AppendUint64(tk, uint64(d.ieee))
	tk = append(tk, 0x02, 0x00, uint8(n.rng.IntN(16)), 0x00) // verified key, unique, seed shift
	n.putTableEntry(exTCLKTable, capTCLK, tk, func(e []byte) (match, free bool) {
		if len(e) != tclkEntryLen {
			return false, false
		}
		a := binary.LittleEndian.Uint64(e[8:])
		return a == uint64(d.ieee), a == 0
	})
}

func (n *Network) removeFromTables(d *device) {
	for i := range capAddrMgr {
		k := extKey{sysZStack, exAddrMgr, uint16(i)}
		if e, ok := n.nv.getExt(k); ok && len(e) == addrMgrEntryLen && binary.LittleEndian.Uint64(e[4:]) == uint64(d.ieee) {
			n.nv.setExt(k, emptyAddrMgrEntry())
		}
	}
	for i := range capTCLK {
		k := extKey{sysZStack, exTCLKTable, uint16(i)}
		if e, ok := n.nv.getExt(k); ok && len(e) == tclkEntryLen && binary.LittleEndian.Uint64(e[8:]) == uint64(d.ieee) {
			n.nv.setExt(k, make([]byte, tclkEntryLen))
		}
	}
	n.dirty = true
}

func (n *Network) putTableEntry(item uint16, capacity int, entry []byte, test func([]byte) (match, free bool)) {
	free := -1
	for i := range capacity {
		e, _ := n.nv.getExt(extKey{sysZStack, item, uint16(i)})
		m, f := test(e)
		if m {
			n.nv.setExt(extKey{sysZStack, item, uint16(i)}, entry)
			return
		}
		if f && free < 0 {
			free = i
		}
	}
	if free >= 0 {
		n.nv.setExt(extKey{sysZStack, item, uint16(free)}, entry)
	}
}
