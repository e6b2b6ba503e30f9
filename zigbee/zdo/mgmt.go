package zdo

import (
	"github.com/zhubhq/zhub/zigbee"
)

// MgmtLqiReq asks for a router's neighbor table from StartIndex
// (Mgmt_Lqi_req, 0x0031).
type MgmtLqiReq struct{ StartIndex uint8 }

// Cluster implements Message.
func (MgmtLqiReq) Cluster() zigbee.ClusterID { return ClusterMgmtLqiReq }

// AppendTo implements Message.
func (m MgmtLqiReq) AppendTo(dst []byte) []byte { return append(dst, m.StartIndex) }

// ParseMgmtLqiReq decodes a Mgmt_Lqi_req payload.
func ParseMgmtLqiReq(b []byte) (MgmtLqiReq, error) {
	r := reader{b: b}
	m := MgmtLqiReq{StartIndex: r.u8()}
	return m, r.done("Mgmt_Lqi_req")
}

// Relationship is a neighbor's relation to the reporting node.
type Relationship uint8

// Relationships.
const (
	RelParent        Relationship = 0
	RelChild         Relationship = 1
	RelSibling       Relationship = 2
	RelNone          Relationship = 3
	RelPreviousChild Relationship = 4
)

// Tristate is a neighbor table flag that may be unknown.
type Tristate uint8

// Tristate values.
const (
	No      Tristate = 0
	Yes     Tristate = 1
	Unknown Tristate = 2
)

// Neighbor is a Mgmt_Lqi_rsp neighbor table entry (22 bytes, Zigbee spec
// §2.4.4.4.2). Reserved bits are dropped on decode.
type Neighbor struct {
	ExtPANID      zigbee.ExtPANID
	IEEE          zigbee.IEEE
	NWK           zigbee.NWK
	DeviceType    LogicalType // 3 = unknown
	RxOnWhenIdle  Tristate
	Relationship  Relationship
	PermitJoining Tristate
	Depth         uint8
	LQI           uint8
}

const neighborSize = 22

func (n Neighbor) appendTo(dst []byte) []byte {
	dst = appendU64(dst, uint64(n.ExtPANID))
	dst = appendU64(dst, uint64(n.IEEE))
	dst = appendU16(dst, uint16(n.NWK))
	b := uint8(n.DeviceType)&0x03 | (uint8(n.RxOnWhenIdle)&0x03)<<2 | (uint8(n.Relationship)&0x07)<<4
	return append(dst, b, uint8(n.PermitJoining)&0x03, n.Depth, n.LQI)
}

func (r *reader) neighbor() Neighbor {
	n := Neighbor{ExtPANID: zigbee.ExtPANID(r.u64()), IEEE: r.ieee(), NWK: r.nwk()}
	b := r.u8()
	n.DeviceType = LogicalType(b & 0x03)
	n.RxOnWhenIdle = Tristate(b >> 2 & 0x03)
	n.Relationship = Relationship(b >> 4 & 0x07)
	n.PermitJoining = Tristate(r.u8() & 0x03)
	n.Depth = r.u8()
	n.LQI = r.u8()
	return n
}

// MgmtLqiRsp answers Mgmt_Lqi_req (0x8031): entries StartIndex and on of a
// table of Total entries.
type MgmtLqiRsp struct {
	Status     Status
	Total      uint8
	StartIndex uint8
	Neighbors  []Neighbor
}

// Cluster implements Message.
func (MgmtLqiRsp) Cluster() zigbee.ClusterID { return ClusterMgmtLqiRsp }

// Err implements Response.
func (m MgmtLqiRsp) Err() error { return statusErr(ClusterMgmtLqiRsp, m.Status) }

// AppendTo implements Message. A failure status is sent alone.
func (m MgmtLqiRsp) AppendTo(dst []byte) []byte {
	dst = append(dst, byte(m.Status))
	if m.Status != StatusSuccess {
		return dst
	}
	ns := m.Neighbors[:min(len(m.Neighbors), 255)]
	dst = append(dst, m.Total, m.StartIndex, byte(len(ns)))
	for _, n := range ns {
		dst = n.appendTo(dst)
	}
	return dst
}

// ParseMgmtLqiRsp decodes a Mgmt_Lqi_rsp payload.
func ParseMgmtLqiRsp(b []byte) (MgmtLqiRsp, error) {
	r := reader{b: b}
	m := MgmtLqiRsp{Status: Status(r.u8())}
	if r.err == nil && m.Status == StatusSuccess {
		m.Total, m.StartIndex = r.u8(), r.u8()
		if n := r.count(neighborSize); n > 0 {
			m.Neighbors = make([]Neighbor, n)
			for i := range m.Neighbors {
				m.Neighbors[i] = r.neighbor()
			}
		}
	}
	if err := r.done("Mgmt_Lqi_rsp"); err != nil {
		return MgmtLqiRsp{}, err
	}
	return m, nil
}

// MgmtRtgReq asks for a router's routing table from StartIndex
// (Mgmt_Rtg_req, 0x0032).
type MgmtRtgReq struct{ StartIndex uint8 }

// Cluster implements Message.
func (MgmtRtgReq) Cluster() zigbee.ClusterID { return ClusterMgmtRtgReq }

// AppendTo implements Message.
func (m MgmtRtgReq) AppendTo(dst []byte) []byte { return append(dst, m.StartIndex) }

// ParseMgmtRtgReq decodes a Mgmt_Rtg_req payload.
func ParseMgmtRtgReq(b []byte) (MgmtRtgReq, error) {
	r := reader{b: b}
	m := MgmtRtgReq{StartIndex: r.u8()}
	return m, r.done("Mgmt_Rtg_req")
}

// RouteStatus is a routing table entry's status.
type RouteStatus uint8

// Route statuses.
const (
	RouteActive             RouteStatus = 0
	RouteDiscoveryUnderway  RouteStatus = 1
	RouteDiscoveryFailed    RouteStatus = 2
	RouteInactive           RouteStatus = 3
	RouteValidationUnderway RouteStatus = 4
)

// Route is a Mgmt_Rtg_rsp routing table entry (5 bytes, Zigbee spec
// §2.4.4.4.3).
type Route struct {
	Dst                 zigbee.NWK
	Status              RouteStatus
	MemoryConstrained   bool
	ManyToOne           bool
	RouteRecordRequired bool
	NextHop             zigbee.NWK
}

const routeSize = 5

func (rt Route) appendTo(dst []byte) []byte {
	b := uint8(rt.Status)&0x07 | boolBit(rt.MemoryConstrained, 0x08) | boolBit(rt.ManyToOne, 0x10) |
		boolBit(rt.RouteRecordRequired, 0x20)
	return appendU16(append(appendU16(dst, uint16(rt.Dst)), b), uint16(rt.NextHop))
}

func (r *reader) route() Route {
	rt := Route{Dst: r.nwk()}
	b := r.u8()
	rt.Status = RouteStatus(b & 0x07)
	rt.MemoryConstrained = b&0x08 != 0
	rt.ManyToOne = b&0x10 != 0
	rt.RouteRecordRequired = b&0x20 != 0
	rt.NextHop = r.nwk()
	return rt
}

// MgmtRtgRsp answers Mgmt_Rtg_req (0x8032).
type MgmtRtgRsp struct {
	Status     Status
	Total      uint8
	StartIndex uint8
	Routes     []Route
}

// Cluster implements Message.
func (MgmtRtgRsp) Cluster() zigbee.ClusterID { return ClusterMgmtRtgRsp }

// Err implements Response.
func (m MgmtRtgRsp) Err() error { return statusErr(ClusterMgmtRtgRsp, m.Status) }

// AppendTo implements Message. A failure status is sent alone.
func (m MgmtRtgRsp) AppendTo(dst []byte) []byte {
	dst = append(dst, byte(m.Status))
	if m.Status != StatusSuccess {
		return dst
	}
	rs := m.Routes[:min(len(m.Routes), 255)]
	dst = append(dst, m.Total, m.StartIndex, byte(len(rs)))
	for _, rt := range rs {
		dst = rt.appendTo(dst)
	}
	return dst
}

// ParseMgmtRtgRsp decodes a Mgmt_Rtg_rsp payload.
func ParseMgmtRtgRsp(b []byte) (MgmtRtgRsp, error) {
	r := reader{b: b}
	m := MgmtRtgRsp{Status: Status(r.u8())}
	if r.err == nil && m.Status == StatusSuccess {
		m.Total, m.StartIndex = r.u8(), r.u8()
		if n := r.count(routeSize); n > 0 {
			m.Routes = make([]Route, n)
			for i := range m.Routes {
				m.Routes[i] = r.route()
			}
		}
	}
	if err := r.done("Mgmt_Rtg_rsp"); err != nil {
		return MgmtRtgRsp{}, err
	}
	return m, nil
}

// MgmtLeaveReq asks a device to leave the network (Mgmt_Leave_req, 0x0034).
// IEEE is the device that should leave (0 or the receiver's own address
// means the receiver itself).
type MgmtLeaveReq struct {
	IEEE           zigbee.IEEE
	RemoveChildren bool
	Rejoin         bool
}

// Cluster implements Message.
func (MgmtLeaveReq) Cluster() zigbee.ClusterID { return ClusterMgmtLeaveReq }

// AppendTo implements Message.
func (m MgmtLeaveReq) AppendTo(dst []byte) []byte {
	return append(appendU64(dst, uint64(m.IEEE)), boolBit(m.RemoveChildren, 0x40)|boolBit(m.Rejoin, 0x80))
}

// ParseMgmtLeaveReq decodes a Mgmt_Leave_req payload.
func ParseMgmtLeaveReq(b []byte) (MgmtLeaveReq, error) {
	r := reader{b: b}
	m := MgmtLeaveReq{IEEE: r.ieee()}
	f := r.u8()
	m.RemoveChildren, m.Rejoin = f&0x40 != 0, f&0x80 != 0
	if err := r.done("Mgmt_Leave_req"); err != nil {
		return MgmtLeaveReq{}, err
	}
	return m, nil
}

// MgmtLeaveRsp answers Mgmt_Leave_req (0x8034).
type MgmtLeaveRsp struct{ Status Status }

// Cluster implements Message.
func (MgmtLeaveRsp) Cluster() zigbee.ClusterID { return ClusterMgmtLeaveRsp }

// AppendTo implements Message.
func (m MgmtLeaveRsp) AppendTo(dst []byte) []byte { return append(dst, byte(m.Status)) }

// Err implements Response.
func (m MgmtLeaveRsp) Err() error { return statusErr(ClusterMgmtLeaveRsp, m.Status) }

// ParseMgmtLeaveRsp decodes a Mgmt_Leave_rsp payload.
func ParseMgmtLeaveRsp(b []byte) (MgmtLeaveRsp, error) {
	s, err := statusOnly("Mgmt_Leave_rsp", b)
	return MgmtLeaveRsp{s}, err
}

// MgmtPermitJoiningReq opens (Duration seconds, 0xFF = until closed, which
// R21 forbids) or closes (0) joining (Mgmt_Permit_Joining_req, 0x0036).
type MgmtPermitJoiningReq struct {
	Duration       uint8
	TCSignificance bool
}

// Cluster implements Message.
func (MgmtPermitJoiningReq) Cluster() zigbee.ClusterID { return ClusterMgmtPermitJoiningReq }

// AppendTo implements Message.
func (m MgmtPermitJoiningReq) AppendTo(dst []byte) []byte {
	return append(dst, m.Duration, boolBit(m.TCSignificance, 1))
}

// ParseMgmtPermitJoiningReq decodes a Mgmt_Permit_Joining_req payload.
func ParseMgmtPermitJoiningReq(b []byte) (MgmtPermitJoiningReq, error) {
	r := reader{b: b}
	m := MgmtPermitJoiningReq{Duration: r.u8(), TCSignificance: r.u8()&1 != 0}
	if err := r.done("Mgmt_Permit_Joining_req"); err != nil {
		return MgmtPermitJoiningReq{}, err
	}
	return m, nil
}

// MgmtPermitJoiningRsp answers Mgmt_Permit_Joining_req (0x8036).
type MgmtPermitJoiningRsp struct{ Status Status }

// Cluster implements Message.
func (MgmtPermitJoiningRsp) Cluster() zigbee.ClusterID { return ClusterMgmtPermitJoiningRsp }

// AppendTo implements Message.
func (m MgmtPermitJoiningRsp) AppendTo(dst []byte) []byte { return append(dst, byte(m.Status)) }

// Err implements Response.
func (m MgmtPermitJoiningRsp) Err() error { return statusErr(ClusterMgmtPermitJoiningRsp, m.Status) }

// ParseMgmtPermitJoiningRsp decodes a Mgmt_Permit_Joining_rsp payload.
func ParseMgmtPermitJoiningRsp(b []byte) (MgmtPermitJoiningRsp, error) {
	s, err := statusOnly("Mgmt_Permit_Joining_rsp", b)
	return MgmtPermitJoiningRsp{s}, err
}

// Mgmt_NWK_Update_req scan durations with a special meaning.
const (
	ScanChangeChannel uint8 = 0xFE // move to the single channel in Channels
	ScanChangeManager uint8 = 0xFF // change the channel mask and network manager
)

// MgmtNWKUpdateReq requests an energy scan, a channel change or a network
// manager change (Mgmt_NWK_Update_req, 0x0038). ScanCount is sent for
// ScanDuration 0–5, UpdateID for 0xFE and 0xFF, ManagerAddr for 0xFF.
type MgmtNWKUpdateReq struct {
	Channels     zigbee.ChannelMask
	ScanDuration uint8
	ScanCount    uint8
	UpdateID     uint8
	ManagerAddr  zigbee.NWK
}

// Cluster implements Message.
func (MgmtNWKUpdateReq) Cluster() zigbee.ClusterID { return ClusterMgmtNWKUpdateReq }

// AppendTo implements Message.
func (m MgmtNWKUpdateReq) AppendTo(dst []byte) []byte {
	c := uint32(m.Channels)
	dst = append(dst, byte(c), byte(c>>8), byte(c>>16), byte(c>>24), m.ScanDuration)
	switch {
	case m.ScanDuration <= 5:
		dst = append(dst, m.ScanCount)
	case m.ScanDuration == ScanChangeChannel:
		dst = append(dst, m.UpdateID)
	case m.ScanDuration == ScanChangeManager:
		dst = appendU16(append(dst, m.UpdateID), uint16(m.ManagerAddr))
	}
	return dst
}

// ParseMgmtNWKUpdateReq decodes a Mgmt_NWK_Update_req payload.
func ParseMgmtNWKUpdateReq(b []byte) (MgmtNWKUpdateReq, error) {
	r := reader{b: b}
	m := MgmtNWKUpdateReq{Channels: zigbee.ChannelMask(r.u32()), ScanDuration: r.u8()}
	switch {
	case r.err != nil:
	case m.ScanDuration <= 5:
		m.ScanCount = r.u8()
	case m.ScanDuration == ScanChangeChannel:
		m.UpdateID = r.u8()
	case m.ScanDuration == ScanChangeManager:
		m.UpdateID = r.u8()
		m.ManagerAddr = r.nwk()
	}
	if err := r.done("Mgmt_NWK_Update_req"); err != nil {
		return MgmtNWKUpdateReq{}, err
	}
	return m, nil
}

// MgmtNWKUpdateNotify reports an energy scan or interference
// (Mgmt_NWK_Update_notify, 0x8038). Energies holds one value per scanned
// channel.
type MgmtNWKUpdateNotify struct {
	Status               Status
	ScannedChannels      zigbee.ChannelMask
	TotalTransmissions   uint16
	TransmissionFailures uint16
	Energies             []uint8
}

// Cluster implements Message.
func (MgmtNWKUpdateNotify) Cluster() zigbee.ClusterID { return ClusterMgmtNWKUpdateNotify }

// Err implements Response.
func (m MgmtNWKUpdateNotify) Err() error { return statusErr(ClusterMgmtNWKUpdateNotify, m.Status) }

// AppendTo implements Message. A failure status is sent alone.
func (m MgmtNWKUpdateNotify) AppendTo(dst []byte) []byte {
	dst = append(dst, byte(m.Status))
	if m.Status != StatusSuccess {
		return dst
	}
	c := uint32(m.ScannedChannels)
	dst = append(dst, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
	dst = appendU16(appendU16(dst, m.TotalTransmissions), m.TransmissionFailures)
	e := m.Energies[:min(len(m.Energies), 255)]
	return append(append(dst, byte(len(e))), e...)
}

// ParseMgmtNWKUpdateNotify decodes a Mgmt_NWK_Update_notify payload.
func ParseMgmtNWKUpdateNotify(b []byte) (MgmtNWKUpdateNotify, error) {
	r := reader{b: b}
	m := MgmtNWKUpdateNotify{Status: Status(r.u8())}
	if r.err == nil && m.Status == StatusSuccess {
		m.ScannedChannels = zigbee.ChannelMask(r.u32())
		m.TotalTransmissions, m.TransmissionFailures = r.u16(), r.u16()
		if n := r.count(1); n > 0 {
			m.Energies = append([]uint8{}, r.b[r.i:r.i+n]...)
			r.i += n
		}
	}
	if err := r.done("Mgmt_NWK_Update_notify"); err != nil {
		return MgmtNWKUpdateNotify{}, err
	}
	return m, nil
}
