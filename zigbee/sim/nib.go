package sim

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/zhubhq/zhub/zigbee"
)

// Offsets in the aligned (CC26xx, 116-byte) NIB, protocol/znp.md §8.4.
const (
	nibSecurityLevel  = 12
	nibDevAddress     = 22
	nibLogicalChannel = 24
	nibCoordAddress   = 26
	nibPANID          = 36
	nibState          = 38
	nibChannelList    = 40
	nibExtPANID       = 57
	nibKeyLoaded      = 65
	nibManagerAddr    = 110
	nibTotalTransmits = 112
	nibUpdateID       = 114
)

// nibTemplate is a NIB read from a real CC26xx coordinator (vector
// "SYS_OSAL_NV_READ_EXT rsp (for id=0x0021(NIB))", Zigbee2MQTT): the stack
// constants (depths, timeouts, concentrator settings) are kept, the network
// identity is overwritten when a network is formed.
var nibTemplate = mustHex("fd0502650f65001e0000000105018f000700020d020000000b0000000000000000000000621a0800000800000f0f04000100000001000000008b077e25004b1200010000000000000000000000000000000000000000000000000000000000000000000000000f0500013c0a0100000023b90000")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// nib is a view on the NIB bytes.
type nib []byte

func newNIB(ch zigbee.Channel, mask zigbee.ChannelMask, pan zigbee.PANID, ext zigbee.ExtPANID) nib {
	n := nib(append([]byte(nil), nibTemplate...))
	binary.LittleEndian.PutUint16(n[nibDevAddress:], 0x0000)
	n[nibLogicalChannel] = byte(ch)
	binary.LittleEndian.PutUint16(n[nibCoordAddress:], 0x0000)
	binary.LittleEndian.PutUint16(n[nibPANID:], uint16(pan))
	binary.LittleEndian.PutUint32(n[nibChannelList:], uint32(mask))
	binary.LittleEndian.PutUint64(n[nibExtPANID:], uint64(ext))
	n[nibKeyLoaded] = 1
	binary.LittleEndian.PutUint16(n[nibManagerAddr:], 0x0000)
	binary.LittleEndian.PutUint16(n[nibTotalTransmits:], 0)
	n[nibUpdateID] = 0
	return n
}

func (n nib) valid() bool { return len(n) == nibLen }

// formed applies herdsman's test: PAN id set and a channel chosen.
func (n nib) formed() bool {
	return n.valid() && n.panID() != 0xFFFF && n.channel() != 0
}

func (n nib) panID() zigbee.PANID     { return zigbee.PANID(binary.LittleEndian.Uint16(n[nibPANID:])) }
func (n nib) channel() zigbee.Channel { return zigbee.Channel(n[nibLogicalChannel]) }
func (n nib) extPANID() zigbee.ExtPANID {
	return zigbee.ExtPANID(binary.LittleEndian.Uint64(n[nibExtPANID:]))
}
func (n nib) updateID() uint8 { return n[nibUpdateID] }
func (n nib) setChannel(ch zigbee.Channel) {
	n[nibLogicalChannel] = byte(ch)
}
func (n nib) setUpdateID(v uint8) { n[nibUpdateID] = v }
