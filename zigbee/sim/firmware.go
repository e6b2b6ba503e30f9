package sim

import (
	"encoding/binary"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// Firmware identity: Z-Stack 3.x.0 on a CC26xx, Koenkk build 20240710
// (protocol/znp.md §9; SYS_VERSION bytes observed on hardware).
const (
	capabilities   = 0x0659 // SYS|AF|ZDO|UTIL|GP|APP_CNF
	transportRev   = 2
	productZStack3 = 1
	majorRel       = 2
	minorRel       = 7
	maintRel       = 1
	revision       = 20240710
)

// RPC error codes (protocol/znp.md §3).
const (
	rpcBadSubsystem = 1
	rpcBadCommand   = 2
	rpcBadParam     = 3
	rpcBadLength    = 4
)

type cmdKey struct {
	sub znp.Subsystem
	id  uint8
}

// handler serves one SREQ. It reads its parameters from r and returns the
// SRSP payload (then runs after, if any, once the SRSP is out). A nil
// payload means the request was too short (RPC error "invalid length").
type handler func(n *Network, r *rd) (rsp []byte, after func())

var handlers map[cmdKey]handler

func init() {
	handlers = map[cmdKey]handler{}
	reg := func(sub znp.Subsystem, m map[uint8]handler) {
		for id, h := range m {
			handlers[cmdKey{sub, id}] = h
		}
	}
	reg(znp.SYS, sysHandlers)
	reg(znp.UTIL, utilHandlers)
	reg(znp.APPCNF, appCnfHandlers)
	reg(znp.ZDO, zdoHandlers)
	reg(znp.AF, afHandlers)
}

// knownSubsystem reports whether the image has the subsystem compiled in
// (the capability bits of SYS_PING).
func knownSubsystem(s znp.Subsystem) bool {
	switch s {
	case znp.SYS, znp.AF, znp.ZDO, znp.UTIL, znp.GP, znp.APPCNF:
		return true
	}
	return false
}

// hostFrame is called on the loop for every valid frame from the host.
func (n *Network) hostFrame(f znp.Frame) {
	if n.booting {
		return // the chip is rebooting and not listening
	}
	if n.busy {
		n.inbox = append(n.inbox, f)
		return
	}
	n.process(f)
}

func (n *Network) drainInbox() {
	for !n.busy && len(n.inbox) > 0 && !n.booting {
		f := n.inbox[0]
		n.inbox = n.inbox[1:]
		n.process(f)
	}
}

func (n *Network) process(f znp.Frame) {
	switch f.Type {
	case znp.AREQ:
		switch {
		case f.Subsystem == znp.SYS && f.ID == 0x00: // SYS_RESET_REQ
			n.log.Info("host reset request", "event", "reset_req")
			n.reset(0x00)
		case f.Subsystem == znp.SAPI && f.ID == 0x09: // ZB_SYSTEM_RESET
			n.reset(0x00)
		}
		return
	case znp.SREQ:
	default:
		return
	}
	h, ok := handlers[cmdKey{f.Subsystem, f.ID}]
	if !ok {
		code := uint8(rpcBadCommand)
		if !knownSubsystem(f.Subsystem) {
			code = rpcBadSubsystem
		}
		n.respond(f, znp.RPCError, 0x00, []byte{code, f.Cmd0(), f.ID}, nil)
		return
	}
	r := newRd(f.Payload)
	rsp, after := h(n, r)
	if rsp == nil {
		n.respond(f, znp.RPCError, 0x00, []byte{rpcBadLength, f.Cmd0(), f.ID}, nil)
		return
	}
	n.respond(f, f.Subsystem, f.ID, rsp, after)
}

// respond sends the SRSP for request f (applying the drop and delay
// faults) followed by whatever after emits.
func (n *Network) respond(f znp.Frame, sub znp.Subsystem, id uint8, payload []byte, after func()) {
	d, delayed := n.faults.delay[f.Header]
	if delayed {
		delete(n.faults.delay, f.Header)
		held := [][]byte{}
		n.holding = &held
	}
	if c := n.faults.drop[f.Header]; c > 0 {
		if c == 1 {
			delete(n.faults.drop, f.Header)
		} else {
			n.faults.drop[f.Header] = c - 1
		}
		n.log.Debug("srsp dropped by fault hook", "event", "fault_drop", "cmd", f.Header.String())
	} else {
		n.emit(frameBytes(znp.SRSP, sub, id, payload))
	}
	if after != nil {
		after()
	}
	if delayed {
		held := *n.holding
		n.holding = nil
		n.busy = true
		n.afterCoord(d, func() {
			for _, b := range held {
				n.write(b)
			}
			n.busy = false
			n.drainInbox()
		})
	}
}

// ---- reset and start-up ----

// reset reboots the chip: everything in RAM is lost, the STARTUP_OPTION
// bits are applied, and SYS_RESET_IND follows after ResetDelay.
func (n *Network) reset(reason uint8) {
	n.powerOff()
	n.afterCoord(n.cfg.ResetDelay, func() { n.booted(reason) })
}

// powerOff drops all volatile state and applies STARTUP_OPTION.
func (n *Network) powerOff() {
	n.gen++
	n.inbox, n.busy, n.holding = nil, false, nil
	n.booting = true
	n.state = devHold
	n.eps = nil
	n.msgCB = map[uint16]bool{}
	n.permitEnd, n.permitForever = time.Time{}, false
	n.permitGen++
	n.bdbPrimary, n.bdbSecondary = 0, 0
	n.retrieve = map[uint32][]byte{}
	so, _ := n.nv.u8(nvStartupOption)
	if so&0x02 != 0 { // clear network state
		delete(n.nv.legacy, nvNIB)
		n.nv.set(nvActiveKeyInfo, make([]byte, 17))
		n.nv.set(nvAlternKeyInfo, make([]byte, 17))
		n.nv.set(nvNwkKey, make([]byte, nwkKeyLen))
		n.nv.set(nvBDBNodeOnNetwork, []byte{0})
		resetTables(n.nv)
		n.groups = nil
	}
	if so&0x01 != 0 { // restore configuration defaults
		def := factoryNV(nil)
		for _, id := range []uint16{nvLogicalType, nvZDODirectCB, nvPANID, nvChanList, nvExtendedPANID,
			nvAPSUseExtPANID, nvPrecfgKey, nvPrecfgKeysEnable} {
			v, _ := def.get(id)
			n.nv.set(id, v)
		}
	}
	if so&0x03 != 0 {
		n.nv.set(nvStartupOption, []byte{so &^ 0x03})
	}
	n.saveNow()
}

// startNetwork is ZDO_STARTUP_FROM_APP and BDB formation: resume the
// network held in NV, or form one from the commissioning items
// (protocol/znp.md §10.1, §15.5).
func (n *Network) startNetwork() {
	if n.state == devZBCoord {
		n.areq(znp.APPCNF, 0x80, []byte{0x00, 0x04, 0x00})
		return
	}
	nb := n.nib()
	if nb.formed() {
		n.afterCoord(n.cfg.DeviceDelay, func() {
			n.state = devZBCoord
			n.areq(znp.ZDO, 0xC0, []byte{devZBCoord})
			n.areq(znp.APPCNF, 0x80, []byte{0x0D, 0x00, 0x04}) // network restored
			n.areq(znp.APPCNF, 0x80, []byte{0x00, 0x04, 0x00}) // success
			n.log.Info("network resumed", "event", "network_resumed", "pan", nb.panID(), "channel", nb.channel())
			n.networkUp()
		})
		return
	}
	// Formation: BDB reports "in progress" (observed {1, 0x02, 0x04}), the
	// device passes through COORD_STARTING, then ZB_COORD and success.
	n.areq(znp.APPCNF, 0x80, []byte{0x01, 0x02, 0x04})
	n.state = devCoordStarting
	n.areq(znp.ZDO, 0xC0, []byte{devCoordStarting})
	n.afterCoord(2*n.cfg.DeviceDelay, func() {
		n.form()
		n.state = devZBCoord
		n.areq(znp.ZDO, 0xC0, []byte{devZBCoord})
		n.areq(znp.APPCNF, 0x80, []byte{0x00, 0x02, 0x00})
		n.networkUp()
	})
}

// form creates the network from CHANLIST/PANID/APS_USE_EXT_PANID/PRECFGKEY.
func (n *Network) form() {
	mask := n.bdbPrimary
	if mask == 0 {
		if v, ok := n.nv.get(nvChanList); ok && len(v) == 4 {
			mask = binary.LittleEndian.Uint32(v)
		}
	}
	mask &= uint32(zigbee.ChannelMask(0x07FFF800))
	ch := zigbee.Channel(11)
	if cs := zigbee.ChannelMask(mask).Channels(); len(cs) > 0 {
		ch = cs[0]
	} else {
		mask = uint32(ch.Mask())
	}
	pan := zigbee.PANID(0xFFFF)
	if v, ok := n.nv.get(nvPANID); ok && len(v) == 2 {
		pan = zigbee.PANID(binary.LittleEndian.Uint16(v))
	}
	if !pan.Valid() {
		pan = zigbee.PANID(1 + n.rng.IntN(0xFFF0))
	}
	ext := zigbee.ExtPANID(n.ieee())
	if v, ok := n.nv.get(nvAPSUseExtPANID); ok && len(v) == 8 {
		if e := binary.LittleEndian.Uint64(v); e != 0 {
			ext = zigbee.ExtPANID(e)
		}
	}
	key, _ := n.nv.get(nvPrecfgKey)
	if len(key) != 16 {
		key = defaultPrecfgKey
	}
	n.nv.set(nvNIB, newNIB(ch, zigbee.ChannelMask(mask), pan, ext))
	ki := append([]byte{0}, key...)
	n.nv.set(nvActiveKeyInfo, ki)
	n.nv.set(nvAlternKeyInfo, ki)
	nk := append(append([]byte{0}, key...), 0, 0, 0, 0, 0, 0, 0)
	n.nv.set(nvNwkKey, nk)
	sm := binary.LittleEndian.AppendUint32(nil, 0)
	sm = binary.LittleEndian.AppendUint64(sm, uint64(ext))
	n.nv.setExt(extKey{sysZStack, exNwkSecMaterial, 0}, sm)
	n.nv.set(nvBDBNodeOnNetwork, []byte{1})
	n.saveNow()
	n.log.Info("network formed", "event", "network_formed", "pan", pan, "ext_pan", ext, "channel", ch)
}

// networkUp runs once the coordinator reached ZB_COORD.
func (n *Network) networkUp() {
	for _, d := range n.devices {
		if n.member(d) && d.model.sleepy {
			n.schedulePoll(d)
		}
	}
	n.tryJoins()
}

// bumpFrameCounter advances the outgoing NWK frame counter kept in NWKKEY
// and in the security material entry of the running network.
func (n *Network) bumpFrameCounter() {
	nk, ok := n.nv.get(nvNwkKey)
	if !ok || len(nk) != nwkKeyLen {
		return
	}
	fc := binary.LittleEndian.Uint32(nk[20:]) + 1
	binary.LittleEndian.PutUint32(nk[20:], fc)
	k := extKey{sysZStack, exNwkSecMaterial, 0}
	if sm, ok := n.nv.getExt(k); ok && len(sm) == secMaterialEntryLen {
		binary.LittleEndian.PutUint32(sm, fc)
	}
	n.dirty = true
}
