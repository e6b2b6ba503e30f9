package zdo

import (
	"fmt"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
)

// LogicalType is a node's role (node descriptor bits 0–2).
type LogicalType uint8

// Logical types.
const (
	Coordinator LogicalType = 0
	Router      LogicalType = 1
	EndDevice   LogicalType = 2
)

func (t LogicalType) String() string {
	switch t {
	case Coordinator:
		return "Coordinator"
	case Router:
		return "Router"
	case EndDevice:
		return "EndDevice"
	}
	return fmt.Sprintf("LogicalType(%d)", uint8(t))
}

// MACCapability is the MAC capability flags field of a node descriptor and
// of Device_annce (IEEE 802.15.4 §7.3.1.2).
type MACCapability uint8

// MAC capability bits.
const (
	CapAltPANCoordinator MACCapability = 0x01
	CapFFD               MACCapability = 0x02 // full-function device (a router)
	CapMainsPowered      MACCapability = 0x04
	CapRxOnWhenIdle      MACCapability = 0x08 // not a sleepy end device
	CapSecurity          MACCapability = 0x40
	CapAllocateAddress   MACCapability = 0x80
)

// Has reports whether every bit of f is set in c.
func (c MACCapability) Has(f MACCapability) bool { return c&f == f }

func (c MACCapability) String() string {
	var parts []string
	for _, x := range []struct {
		bit  MACCapability
		name string
	}{
		{CapAltPANCoordinator, "altPANCoord"}, {CapFFD, "FFD"}, {CapMainsPowered, "mains"},
		{CapRxOnWhenIdle, "rxOnWhenIdle"}, {CapSecurity, "security"}, {CapAllocateAddress, "allocAddr"},
	} {
		if c&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	return fmt.Sprintf("0x%02X[%s]", uint8(c), strings.Join(parts, ","))
}

// FrequencyBand is the node descriptor's frequency band bitmap.
type FrequencyBand uint8

// Frequency band bits.
const (
	Band868MHz   FrequencyBand = 0x01
	Band902MHz   FrequencyBand = 0x04
	Band2400MHz  FrequencyBand = 0x08
	BandEUSubGHz FrequencyBand = 0x10 // European FSK sub-GHz (R22)
)

// ServerMask is the node descriptor's server mask. Bits 9–15 carry the
// stack compliance revision (R21 and later).
type ServerMask uint16

// Server mask bits.
const (
	ServerPrimaryTrustCenter       ServerMask = 0x0001
	ServerBackupTrustCenter        ServerMask = 0x0002
	ServerPrimaryBindingTableCache ServerMask = 0x0004
	ServerBackupBindingTableCache  ServerMask = 0x0008
	ServerPrimaryDiscoveryCache    ServerMask = 0x0010
	ServerBackupDiscoveryCache     ServerMask = 0x0020
	ServerNetworkManager           ServerMask = 0x0040
)

// StackComplianceRevision returns bits 9–15 (0 before R21, 21, 22, 23...).
func (m ServerMask) StackComplianceRevision() uint8 { return uint8(m >> 9) }

// DescriptorCapability is the node descriptor's descriptor capability field.
type DescriptorCapability uint8

// Descriptor capability bits.
const (
	ExtendedActiveEPListAvailable   DescriptorCapability = 0x01
	ExtendedSimpleDescListAvailable DescriptorCapability = 0x02
)

// NodeDescriptorSize is the encoded size of a node descriptor.
const NodeDescriptorSize = 13

// NodeDescriptor describes a node (Zigbee spec §2.3.2.3). Reserved bits
// are dropped on decode and sent as zero.
type NodeDescriptor struct {
	LogicalType                LogicalType
	ComplexDescriptorAvailable bool
	UserDescriptorAvailable    bool
	APSFlags                   uint8 // 3 bits, unused by Zigbee Pro
	FrequencyBand              FrequencyBand
	MACCapability              MACCapability
	ManufacturerCode           uint16
	MaxBufferSize              uint8
	MaxInTransferSize          uint16
	ServerMask                 ServerMask
	MaxOutTransferSize         uint16
	DescriptorCapability       DescriptorCapability
}

// AppendTo appends the 13-byte descriptor.
func (d NodeDescriptor) AppendTo(dst []byte) []byte {
	b0 := uint8(d.LogicalType)&0x07 | boolBit(d.ComplexDescriptorAvailable, 0x08) | boolBit(d.UserDescriptorAvailable, 0x10)
	b1 := d.APSFlags&0x07 | uint8(d.FrequencyBand)<<3
	dst = append(dst, b0, b1, byte(d.MACCapability))
	dst = appendU16(dst, d.ManufacturerCode)
	dst = append(dst, d.MaxBufferSize)
	dst = appendU16(dst, d.MaxInTransferSize)
	dst = appendU16(dst, uint16(d.ServerMask))
	dst = appendU16(dst, d.MaxOutTransferSize)
	return append(dst, byte(d.DescriptorCapability))
}

func (r *reader) nodeDescriptor() NodeDescriptor {
	b0, b1 := r.u8(), r.u8()
	return NodeDescriptor{
		LogicalType:                LogicalType(b0 & 0x07),
		ComplexDescriptorAvailable: b0&0x08 != 0,
		UserDescriptorAvailable:    b0&0x10 != 0,
		APSFlags:                   b1 & 0x07,
		FrequencyBand:              FrequencyBand(b1 >> 3),
		MACCapability:              MACCapability(r.u8()),
		ManufacturerCode:           r.u16(),
		MaxBufferSize:              r.u8(),
		MaxInTransferSize:          r.u16(),
		ServerMask:                 ServerMask(r.u16()),
		MaxOutTransferSize:         r.u16(),
		DescriptorCapability:       DescriptorCapability(r.u8()),
	}
}

// ParseNodeDescriptor decodes a 13-byte node descriptor.
func ParseNodeDescriptor(b []byte) (NodeDescriptor, error) {
	r := reader{b: b}
	d := r.nodeDescriptor()
	return d, r.done("node descriptor")
}

// PowerSource is a bitmap of power sources in a power descriptor.
type PowerSource uint8

// Power source bits.
const (
	PowerMains        PowerSource = 0x1
	PowerRechargeable PowerSource = 0x2
	PowerDisposable   PowerSource = 0x4
)

// PowerLevel is the current power source level.
type PowerLevel uint8

// Power levels.
const (
	PowerCritical PowerLevel = 0x0
	Power33       PowerLevel = 0x4
	Power66       PowerLevel = 0x8
	Power100      PowerLevel = 0xC
)

// PowerMode is the receiver's current power mode.
type PowerMode uint8

// Power modes.
const (
	PowerModeRxOnWhenIdle PowerMode = 0 // synchronised with rxOnWhenIdle
	PowerModePeriodic     PowerMode = 1 // wakes periodically
	PowerModeStimulated   PowerMode = 2 // wakes on a stimulus (a button)
)

// PowerDescriptor is the node power descriptor (Zigbee spec §2.3.2.4):
// four 4-bit fields.
type PowerDescriptor struct {
	CurrentMode      PowerMode
	AvailableSources PowerSource
	CurrentSource    PowerSource
	CurrentLevel     PowerLevel
}

// AppendTo appends the 2-byte descriptor.
func (d PowerDescriptor) AppendTo(dst []byte) []byte {
	return append(dst, uint8(d.CurrentMode)&0x0F|uint8(d.AvailableSources)<<4,
		uint8(d.CurrentSource)&0x0F|uint8(d.CurrentLevel)<<4)
}

func (r *reader) powerDescriptor() PowerDescriptor {
	b0, b1 := r.u8(), r.u8()
	return PowerDescriptor{
		CurrentMode:      PowerMode(b0 & 0x0F),
		AvailableSources: PowerSource(b0 >> 4),
		CurrentSource:    PowerSource(b1 & 0x0F),
		CurrentLevel:     PowerLevel(b1 >> 4),
	}
}

// SimpleDescriptor describes one endpoint (Zigbee spec §2.3.2.5).
type SimpleDescriptor struct {
	Endpoint      zigbee.Endpoint
	Profile       zigbee.ProfileID
	DeviceID      uint16
	DeviceVersion uint8 // 4 bits
	InClusters    []zigbee.ClusterID
	OutClusters   []zigbee.ClusterID
}

// Len returns the encoded size of d.
func (d SimpleDescriptor) Len() int {
	return 8 + 2*min(len(d.InClusters), 255) + 2*min(len(d.OutClusters), 255)
}

// AppendTo appends the descriptor (without a length byte).
func (d SimpleDescriptor) AppendTo(dst []byte) []byte {
	dst = append(dst, byte(d.Endpoint))
	dst = appendU16(dst, uint16(d.Profile))
	dst = appendU16(dst, d.DeviceID)
	dst = append(dst, d.DeviceVersion&0x0F)
	dst = appendClusters(dst, d.InClusters)
	return appendClusters(dst, d.OutClusters)
}

// HasIn reports whether the endpoint serves cluster c.
func (d SimpleDescriptor) HasIn(c zigbee.ClusterID) bool { return hasCluster(d.InClusters, c) }

// HasOut reports whether the endpoint is a client of cluster c.
func (d SimpleDescriptor) HasOut(c zigbee.ClusterID) bool { return hasCluster(d.OutClusters, c) }

func hasCluster(cs []zigbee.ClusterID, c zigbee.ClusterID) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func (r *reader) simpleDescriptor() SimpleDescriptor {
	d := SimpleDescriptor{
		Endpoint: zigbee.Endpoint(r.u8()),
		Profile:  zigbee.ProfileID(r.u16()),
		DeviceID: r.u16(),
	}
	d.DeviceVersion = r.u8() & 0x0F
	d.InClusters = r.clusters()
	d.OutClusters = r.clusters()
	return d
}

// ParseSimpleDescriptor decodes a simple descriptor (without length byte).
func ParseSimpleDescriptor(b []byte) (SimpleDescriptor, error) {
	r := reader{b: b}
	d := r.simpleDescriptor()
	return d, r.done("simple descriptor")
}
