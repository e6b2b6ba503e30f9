package sim

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
)

// ezspHandler serves one EZSP command: it returns the response parameters
// and, optionally, work to run once the response is queued (callbacks that
// follow it).
type ezspHandler func(e *ezspNCP, p ezsp.Params) (rsp ezsp.Params, after func())

// ezspConfigDefaults are the configuration values of a fresh NCP image.
var ezspConfigDefaults = map[uint8]uint16{
	0x01: 255, 0x02: 16, 0x03: 10, 0x04: 32, 0x05: 8, 0x06: 16, 0x07: 16, 0x08: 8, 0x0C: 2, 0x0D: 5, 0x10: 30,
	0x11: 32, 0x12: 7680, 0x13: 8, 0x19: 2, 0x1A: 200, 0x1E: 12, 0x22: 1, 0x2D: 1, 0x36: 300,
}

// Value ids (ezsp.md §7.2).
const (
	valueStackTokenWriting = 0x07
	valueExtSecBitmask     = 0x0A
	valueVersionInfo       = 0x11
	valueNWKFrameCounter   = 0x23
	valueAPSFrameCounter   = 0x24
)

// stackBuild is the build number reported in VERSION_INFO.
const stackBuild = 397

func (e *ezspNCP) stackVersion() (major, minor, patch uint8) {
	if e.cfg.Version >= 14 {
		return 8, 0, 2
	}
	return 7, 4, 3
}

var ezspHandlers map[uint16]ezspHandler

func init() {
	ok := func(e *ezspNCP) ezsp.Params { return ezsp.Params{"status": uint32(0)} }
	ezspHandlers = map[uint16]ezspHandler{
		0x0000: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // version
			maj, min, pat := e.stackVersion()
			sv := uint16(maj)<<12 | uint16(min)<<8 | uint16(pat)<<4
			return ezsp.Params{"protocolVersion": e.cfg.Version, "stackType": uint8(2), "stackVersion": sv}, nil
		},
		0x0005: func(*ezspNCP, ezsp.Params) (ezsp.Params, func()) { return nil, nil }, // nop
		0x0006: func(*ezspNCP, ezsp.Params) (ezsp.Params, func()) { return nil, nil }, // callback: all are sent asynchronously
		0x0015: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setManufacturerCode
			e.mfgCode = uint16(p.Uint("code"))
			return nil, nil
		},
		0x000B: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getMfgToken
			data := bytes.Repeat([]byte{0xFF}, 16)
			if p.Uint("tokenId") == 1 { // MFG_STRING
				copy(data, append([]byte("zhub-sim"), make([]byte, 8)...))
			}
			return ezsp.Params{"tokenData": data}, nil
		},
		0x0052: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getConfigurationValue
			v, known := e.config[uint8(p.Uint("configId"))]
			if !known {
				return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidID)}, nil
			}
			return ezsp.Params{"status": uint32(0), "value": v}, nil
		},
		0x0053: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setConfigurationValue
			if e.networkUp() {
				return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidCall)}, nil
			}
			e.config[uint8(p.Uint("configId"))] = uint16(p.Uint("value"))
			return ok(e), nil
		},
		0x0055: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setPolicy
			e.policies[uint8(p.Uint("policyId"))] = uint8(p.Uint("decisionId"))
			return ok(e), nil
		},
		0x0056: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getPolicy
			return ezsp.Params{"status": uint32(0), "decisionId": e.policies[uint8(p.Uint("policyId"))]}, nil
		},
		0x00AA: (*ezspNCP).getValue,
		0x00AB: (*ezspNCP).setValue,
		0x0003: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getExtendedValue
			if p.Uint("valueId") == 0x00 && e.n.endpointRegistered(uint8(p.Uint("characteristics"))) { // ENDPOINT_FLAGS
				return ezsp.Params{"status": uint32(0), "value": []byte{0x01, 0x00}}, nil
			}
			// An unregistered endpoint still gets its 2-byte flags (zero):
			// herdsman reads them before the status (ezsp.md §7.10).
			if e.version >= 14 {
				return ezsp.Params{"status": ezsp.SLNotFound, "value": []byte{0, 0}}, nil
			}
			return ezsp.Params{"status": uint32(ezsp.EzspErrInvalidID), "value": []byte{0, 0}}, nil
		},
		0x0002: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // addEndpoint
			ep := uint8(p.Uint("endpoint"))
			if ep == 0 || ep == 0xFF || e.n.endpointRegistered(ep) {
				return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidCall)}, nil
			}
			in, _ := p["inputClusterList"].([]uint16)
			out, _ := p["outputClusterList"].([]uint16)
			e.n.eps = append(e.n.eps, afEndpoint{id: ep, profile: uint16(p.Uint("profileId")), devID: uint16(p.Uint("deviceId")),
				version: uint8(p.Uint("deviceVersion")), in: in, out: out})
			return ok(e), nil
		},
		0x0064: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setMulticastTableEntry
			i := int(p.Uint("index"))
			if i >= len(e.multicast) {
				return ezsp.Params{"status": e.status(ezsp.SLInvalidParameter)}, nil
			}
			m := &e.multicast[i]
			m.id, m.ep, m.active = uint16(p.Uint("multicastId")), uint8(p.Uint("endpoint")), p.Uint("endpoint") != 0
			return ok(e), nil
		},
		0x0063: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getMulticastTableEntry
			i := int(p.Uint("index"))
			if i >= len(e.multicast) {
				return ezsp.Params{"status": e.status(ezsp.SLInvalidParameter)}, nil
			}
			m := e.multicast[i]
			return ezsp.Params{"status": uint32(0), "multicastId": m.id, "endpoint": m.ep}, nil
		},
		0x0017: (*ezspNCP).networkInit,
		0x0018: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // networkState
			if e.networkUp() {
				return ezsp.Params{"status": uint8(2)}, nil
			}
			return ezsp.Params{"status": uint8(0)}, nil
		},
		0x001E: (*ezspNCP).formNetwork,
		0x0020: (*ezspNCP).leaveNetwork,
		0x0022: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // permitJoining
			if !e.networkUp() {
				return ezsp.Params{"status": e.status(ezsp.SLInvalidState)}, nil
			}
			dur := uint8(p.Uint("duration"))
			return ok(e), func() {
				e.n.permit(dur)
				if dur > 0 {
					e.stackStatus(ezsp.SLNetworkOpened)
				} else {
					e.stackStatus(ezsp.SLNetworkClosed)
				}
			}
		},
		0x0026: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getEui64
			return ezsp.Params{"eui64": uint64(e.n.ieee())}, nil
		},
		0x0027: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getNodeId
			if e.networkUp() {
				return ezsp.Params{"nodeId": uint16(0)}, nil
			}
			return ezsp.Params{"nodeId": uint16(0xFFFE)}, nil
		},
		0x0028: (*ezspNCP).getNetworkParameters,
		0x00FF: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getRadioChannel
			return ezsp.Params{"channel": uint8(e.n.nib().channelOr(11))}, nil
		},
		0x0010: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // setConcentrator
		0x005A: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setSourceRouteDiscoveryMode
			return ezsp.Params{"remainingTime": uint32(1240)}, nil
		},
		0x0099: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // setRadioPower
			if x, isI8 := p["power"].(int8); isI8 {
				e.txPower = x
				e.n.nv.set(ezspTokenTxPower, []byte{byte(x)})
				e.n.dirty = true
			}
			return ok(e), nil
		},
		0x0095: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // setRadioIeee802154CcaMode
		0x00B9: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // setLogicalAndRadioChannel
		0x0068: (*ezspNCP).setInitialSecurityState,
		0x0069: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getCurrentSecurityState
			if !e.networkUp() {
				return ezsp.Params{"status": e.status(0x0C0B)}, nil
			}
			return ezsp.Params{"status": uint32(0), "bitmask": uint16(0x0094), "trustCenterLongAddress": uint64(e.n.ieee())}, nil
		},
		0x0114: (*ezspNCP).exportKey,
		0x0115: (*ezspNCP).importKey,
		0x0116: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getNetworkKeyInfo
			ki, _ := e.n.nv.get(nvActiveKeyInfo)
			seq, set := uint8(0), uint8(0)
			if e.n.nib().formed() && len(ki) == 17 {
				seq, set = ki[0], 1
			}
			return ezsp.Params{"status": uint32(0), "networkKeySet": set, "networkKeySequenceNumber": seq,
				"networkKeyFrameCounter": e.frameCounter()}, nil
		},
		0x010E: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // importLinkKey
			i := uint8(p.Uint("index"))
			if int(i) >= int(e.config[0x1E]) {
				return ezsp.Params{"status": ezsp.SLInvalidIndex}, nil
			}
			e.keyTable[i] = ezspLinkKey{eui: p.Uint("address"), key: p.Bytes("plaintextKey")}
			return ezsp.Params{"status": uint32(0)}, nil
		},
		0x010F: (*ezspNCP).exportLinkKeyByIndex,
		0x010C: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // getApsKeyInfo
			return ezsp.Params{"status": ezsp.SLNotFound}, nil
		},
		0x0076: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // eraseKeyTableEntry
			delete(e.keyTable, uint8(p.Uint("index")))
			return ok(e), nil
		},
		0x0075: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // findKeyTableEntry
			for i, k := range e.keyTable {
				if k.eui == p.Uint("address") {
					return ezsp.Params{"index": i}, nil
				}
			}
			return ezsp.Params{"index": uint8(0xFF)}, nil
		},
		0x00B1: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // clearKeyTable
			clear(e.keyTable)
			return ok(e), nil
		},
		0x0111: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ezsp.Params{"status": uint32(0)}, nil }, // importTransientKey
		0x006B: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return nil, nil },                              // clearTransientLinkKeys
		0x0073: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil },                            // broadcastNextNetworkKey
		0x0074: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil },                            // broadcastNetworkKeySwitch
		0x007E: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ezsp.Params{"status": uint32(0)}, nil }, // setExtendedTimeout
		0x0065: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // readAndClearCounters
			return ezsp.Params{"values": make([]uint16, ezspCounterCount)}, nil
		},
		0x00F1: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // readCounters
			return ezsp.Params{"values": make([]uint16, ezspCounterCount)}, nil
		},
		0x0060: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // lookupNodeIdByEui64
			if d := e.n.deviceByIEEE(zigbee.IEEE(p.Uint("eui64"))); d != nil && e.n.member(d) {
				return ezsp.Params{"nodeId": uint16(d.nwk)}, nil
			}
			if zigbee.IEEE(p.Uint("eui64")) == e.n.ieee() {
				return ezsp.Params{"nodeId": uint16(0)}, nil
			}
			return ezsp.Params{"nodeId": uint16(0xFFFF)}, nil
		},
		0x0061: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // lookupEui64ByNodeId
			nwk := zigbee.NWK(p.Uint("nodeId"))
			if nwk == 0 {
				return ezsp.Params{"status": uint32(0), "eui64": uint64(e.n.ieee())}, nil
			}
			if d := e.n.deviceByNWK(nwk); d != nil {
				return ezsp.Params{"status": uint32(0), "eui64": uint64(d.ieee)}, nil
			}
			return ezsp.Params{"status": e.status(ezsp.SLNotFound)}, nil
		},
		0x004A: (*ezspNCP).getChildData,
		0x00A8: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // removeDevice
			if d := e.n.deviceByIEEE(zigbee.IEEE(p.Uint("targetLong"))); d != nil && e.n.member(d) {
				return ok(e), func() { e.n.afterCoord(e.n.cfg.DeviceDelay, func() { e.n.leave(d, false) }) }
			}
			return ok(e), nil
		},
		0x0051: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // sendRawMessage
		0x0077: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // tokenFactoryReset
			fc := e.frameCounter()
			e.clearNetwork()
			if p.Uint("excludeOutgoingFC") != 0 {
				e.setFrameCounter(fc)
			}
			return nil, nil
		},
		0x0104: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { // resetNode
			return nil, func() { e.resetPending = true; e.n.reset(0x00) }
		},
		0x0034: (*ezspNCP).sendUnicast,
		0x0036: (*ezspNCP).sendBroadcast,
		0x0038: (*ezspNCP).sendMulticast,
		0x0039: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // sendReply
		0x0041: func(e *ezspNCP, p ezsp.Params) (ezsp.Params, func()) { return ok(e), nil }, // sendManyToOneRouteRequest
	}
}

// ezspCounterCount is the number of EmberCounterType values of v13/v14
// firmware (readAndClearCounters returns one u16 each).
const ezspCounterCount = 42

func (n nib) channelOr(def zigbee.Channel) zigbee.Channel {
	if n.formed() {
		return n.channel()
	}
	return def
}

func (e *ezspNCP) getValue(p ezsp.Params) (ezsp.Params, func()) {
	id := uint8(p.Uint("valueId"))
	var v []byte
	switch id {
	case valueVersionInfo:
		maj, min, pat := e.stackVersion()
		v = binary.LittleEndian.AppendUint16(nil, stackBuild)
		v = append(v, maj, min, pat, 0, 0xAA)
	case valueNWKFrameCounter:
		v = binary.LittleEndian.AppendUint32(nil, e.frameCounter())
	case 0x03: // FREE_BUFFERS
		v = []byte{0xF0}
	default:
		x, known := e.values[id]
		if !known {
			return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidID)}, nil
		}
		v = x
	}
	return ezsp.Params{"status": uint32(0), "value": v}, nil
}

func (e *ezspNCP) setValue(p ezsp.Params) (ezsp.Params, func()) {
	id := uint8(p.Uint("valueId"))
	v := p.Bytes("value")
	switch id {
	case valueVersionInfo:
		return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidID)}, nil
	case valueNWKFrameCounter:
		if len(v) != 4 || e.networkUp() {
			return ezsp.Params{"status": e.ezspStatus(ezsp.EzspErrInvalidCall)}, nil
		}
		fc := binary.LittleEndian.Uint32(v)
		e.pendingFC = &fc
	}
	e.values[id] = bytes.Clone(v)
	return ezsp.Params{"status": uint32(0)}, nil
}

func (e *ezspNCP) networkInit(p ezsp.Params) (ezsp.Params, func()) {
	n := e.n
	switch {
	case e.networkUp():
		return ezsp.Params{"status": e.status(ezsp.SLInvalidState)}, nil
	case !n.nib().formed():
		return ezsp.Params{"status": e.status(ezsp.SLNotJoined)}, nil
	}
	return ezsp.Params{"status": uint32(0)}, func() {
		n.afterCoord(n.cfg.DeviceDelay, func() {
			nb := n.nib()
			n.state = devZBCoord
			n.log.Info("network resumed", "event", "network_resumed", "pan", nb.panID(), "channel", nb.channel())
			e.stackStatus(ezsp.SLNetworkUp)
			n.networkUp()
		})
	}
}

func (e *ezspNCP) setInitialSecurityState(p ezsp.Params) (ezsp.Params, func()) {
	if e.networkUp() {
		return ezsp.Params{"status": e.status(ezsp.SLInvalidState)}, nil
	}
	e.security = &ezspSecurity{bitmask: uint16(p.Uint("bitmask")), preKey: p.Bytes("preconfiguredKey"),
		nwkKey: p.Bytes("networkKey"), seq: uint8(p.Uint("networkKeySequenceNumber"))}
	return ezsp.Params{"status": uint32(0)}, nil
}

// formNetwork forms the network from the parameters and the initial
// security state, in the same NV items the Z-Stack model forms from.
func (e *ezspNCP) formNetwork(p ezsp.Params) (ezsp.Params, func()) {
	n := e.n
	switch {
	case e.networkUp() || n.nib().formed():
		return ezsp.Params{"status": e.status(ezsp.SLInvalidState)}, nil
	case e.security == nil || e.security.bitmask&0x0200 == 0: // HAVE_NETWORK_KEY
		return ezsp.Params{"status": e.status(0x0C0B)}, nil // SECURITY_STATE_NOT_SET
	}
	np := p.Struct("parameters")
	ch := zigbee.Channel(np.Uint("radioChannel"))
	pan := zigbee.PANID(np.Uint("panId"))
	ext := zigbee.ExtPANID(np.Uint("extendedPanId"))
	if !ch.Valid() || !pan.Valid() {
		return ezsp.Params{"status": e.status(ezsp.SLInvalidParameter)}, nil
	}
	if ext == 0 {
		ext = zigbee.ExtPANID(n.ieee())
	}
	mask := zigbee.ChannelMask(np.Uint("channels")) & 0x07FFF800
	if mask == 0 {
		mask = ch.Mask()
	}
	sec := *e.security
	tx, _ := np["radioTxPower"].(int8)
	updateID := uint8(np.Uint("nwkUpdateId"))
	return ezsp.Params{"status": uint32(0)}, func() {
		n.nv.set(nvLogicalType, []byte{0})
		n.nv.set(nvChanList, binary.LittleEndian.AppendUint32(nil, uint32(ch.Mask())))
		n.nv.set(nvPANID, binary.LittleEndian.AppendUint16(nil, uint16(pan)))
		n.nv.set(nvAPSUseExtPANID, binary.LittleEndian.AppendUint64(nil, uint64(ext)))
		n.nv.set(nvPrecfgKey, sec.nwkKey)
		if sec.bitmask&0x0100 != 0 && len(sec.preKey) == 16 { // HAVE_PRECONFIGURED_KEY: the hashed TC link key
			n.nv.set(nvTCLKSeed, sec.preKey)
		}
		n.nv.set(ezspTokenSecurity, binary.LittleEndian.AppendUint16(nil, sec.bitmask))
		n.nv.set(ezspTokenTxPower, []byte{byte(tx)})
		e.txPower = tx
		n.bdbPrimary = 0
		n.form()
		nb := newNIB(ch, mask, pan, ext)
		nb.setUpdateID(updateID)
		n.nv.set(nvNIB, nb)
		ki := append([]byte{sec.seq}, sec.nwkKey...)
		n.nv.set(nvActiveKeyInfo, ki)
		if e.pendingFC != nil {
			e.setFrameCounter(*e.pendingFC)
			e.pendingFC = nil
		}
		n.saveNow()
		n.afterCoord(2*n.cfg.DeviceDelay, func() {
			n.state = devZBCoord
			e.stackStatus(ezsp.SLNetworkUp)
			n.networkUp()
		})
	}
}

// clearNetwork forgets the network (leave, token factory reset).
func (e *ezspNCP) clearNetwork() {
	n := e.n
	delete(n.nv.legacy, nvNIB)
	n.nv.set(nvActiveKeyInfo, make([]byte, 17))
	n.nv.set(nvAlternKeyInfo, make([]byte, 17))
	n.nv.set(nvNwkKey, make([]byte, nwkKeyLen))
	n.nv.set(nvBDBNodeOnNetwork, []byte{0})
	resetTables(n.nv)
	n.groups = nil
	n.state = devHold
	n.permit(0)
	n.saveNow()
}

func (e *ezspNCP) leaveNetwork(p ezsp.Params) (ezsp.Params, func()) {
	if !e.networkUp() {
		return ezsp.Params{"status": e.status(ezsp.SLInvalidState)}, nil
	}
	return ezsp.Params{"status": uint32(0)}, func() {
		e.clearNetwork()
		e.n.log.Info("left the network", "event", "network_left")
		e.n.afterCoord(e.n.cfg.DeviceDelay, func() { e.stackStatus(ezsp.SLNetworkDown) })
	}
}

func (e *ezspNCP) getNetworkParameters(p ezsp.Params) (ezsp.Params, func()) {
	nb := e.n.nib()
	if !nb.formed() {
		return ezsp.Params{"status": e.status(ezsp.SLNotJoined)}, nil
	}
	mask := binary.LittleEndian.Uint32(nb[nibChannelList:])
	return ezsp.Params{"status": uint32(0), "nodeType": uint8(1), "parameters": ezsp.Params{
		"extendedPanId": uint64(nb.extPANID()), "panId": uint16(nb.panID()), "radioTxPower": e.txPower,
		"radioChannel": uint8(nb.channel()), "joinMethod": uint8(0), "nwkManagerId": uint16(0),
		"nwkUpdateId": nb.updateID(), "channels": mask,
	}}, nil
}

// secManContext is the echo of a security-manager context.
func secManContext(p ezsp.Params) ezsp.Params {
	c := p.Struct("context")
	if c == nil {
		return ezsp.Params{}
	}
	return c
}

func (e *ezspNCP) exportKey(p ezsp.Params) (ezsp.Params, func()) {
	ctx := secManContext(p)
	var key []byte
	switch ctx.Uint("coreKeyType") {
	case 1: // NETWORK
		if e.n.nib().formed() {
			key = bytes.Clone(e.n.networkKey())
		}
	case 2: // TC_LINK
		key, _ = e.n.nv.get(nvTCLKSeed)
		key = bytes.Clone(key)
	}
	if len(key) != 16 {
		return ezsp.Params{"status": ezsp.SLNotFound, "key": make([]byte, 16), "context": ctx}, nil
	}
	return ezsp.Params{"status": uint32(0), "key": key, "context": ctx}, nil
}

func (e *ezspNCP) importKey(p ezsp.Params) (ezsp.Params, func()) {
	ctx := secManContext(p)
	key := p.Bytes("key")
	switch ctx.Uint("coreKeyType") {
	case 1:
		if e.networkUp() {
			return ezsp.Params{"status": ezsp.SLInvalidState}, nil
		}
		if e.security != nil {
			e.security.nwkKey = bytes.Clone(key)
		}
	case 2:
		e.n.nv.set(nvTCLKSeed, key)
		e.n.dirty = true
	}
	// herdsman reads the context after the status (ezsp.md §13 item 3).
	c, _ := ezsp.CommandByName("exportKey", 14)
	tail, _ := ezsp.EncodeParams(nil, c, false, ezsp.Params{"context": ctx}, 14)
	return ezsp.Params{"status": uint32(0), ezsp.TrailingKey: tail}, nil
}

func (e *ezspNCP) exportLinkKeyByIndex(p ezsp.Params) (ezsp.Params, func()) {
	i := uint8(p.Uint("index"))
	k, found := e.keyTable[i]
	if !found {
		return ezsp.Params{"status": ezsp.SLNotFound, "plaintextKey": make([]byte, 16)}, nil
	}
	return ezsp.Params{"status": uint32(0), "eui64": k.eui, "plaintextKey": bytes.Clone(k.key),
		"context": ezsp.Params{"coreKeyType": uint8(4), "keyIndex": i, "eui64": k.eui, "flags": uint8(3)}}, nil
}

// children are the end devices whose parent is the coordinator: routers
// are neighbours, not entries of EmberZNet's child table.
func (e *ezspNCP) children() []*device {
	var kids []*device
	for _, d := range e.n.children() {
		if !d.model.router {
			kids = append(kids, d)
		}
	}
	return kids
}

func (e *ezspNCP) getChildData(p ezsp.Params) (ezsp.Params, func()) {
	kids := e.children()
	i := int(p.Uint("index"))
	if i >= len(kids) {
		return ezsp.Params{"status": e.status(ezsp.SLNotJoined)}, nil
	}
	d := kids[i]
	typ := uint8(3)
	if d.model.sleepy {
		typ = 4
	}
	return ezsp.Params{"status": uint32(0), "childData": ezsp.Params{"eui64": uint64(d.ieee), "type": typ,
		"id": uint16(d.nwk), "timeout": uint8(8), "remainingTimeout": uint32(time.Hour / time.Second)}}, nil
}
