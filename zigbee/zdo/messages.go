package zdo

import (
	"github.com/zhubhq/zhub/zigbee"
)

// RequestType selects a single-device or extended address response.
type RequestType uint8

// Request types for NWK_addr_req and IEEE_addr_req.
const (
	SingleDevice RequestType = 0x00
	Extended     RequestType = 0x01 // also list associated devices
)

// NWKAddrReq asks for the NWK address of IEEE (NWK_addr_req, 0x0000).
type NWKAddrReq struct {
	IEEE        zigbee.IEEE
	RequestType RequestType
	StartIndex  uint8
}

// Cluster implements Message.
func (NWKAddrReq) Cluster() zigbee.ClusterID { return ClusterNWKAddrReq }

// AppendTo implements Message.
func (m NWKAddrReq) AppendTo(dst []byte) []byte {
	return append(appendU64(dst, uint64(m.IEEE)), byte(m.RequestType), m.StartIndex)
}

// ParseNWKAddrReq decodes a NWK_addr_req payload.
func ParseNWKAddrReq(b []byte) (NWKAddrReq, error) {
	r := reader{b: b}
	m := NWKAddrReq{IEEE: r.ieee(), RequestType: RequestType(r.u8()), StartIndex: r.u8()}
	return m, r.done("NWK_addr_req")
}

// IEEEAddrReq asks for the IEEE address of NWK (IEEE_addr_req, 0x0001).
type IEEEAddrReq struct {
	NWK         zigbee.NWK
	RequestType RequestType
	StartIndex  uint8
}

// Cluster implements Message.
func (IEEEAddrReq) Cluster() zigbee.ClusterID { return ClusterIEEEAddrReq }

// AppendTo implements Message.
func (m IEEEAddrReq) AppendTo(dst []byte) []byte {
	return append(appendU16(dst, uint16(m.NWK)), byte(m.RequestType), m.StartIndex)
}

// ParseIEEEAddrReq decodes an IEEE_addr_req payload.
func ParseIEEEAddrReq(b []byte) (IEEEAddrReq, error) {
	r := reader{b: b}
	m := IEEEAddrReq{NWK: r.nwk(), RequestType: RequestType(r.u8()), StartIndex: r.u8()}
	return m, r.done("IEEE_addr_req")
}

// AddrRsp is the body of NWK_addr_rsp and IEEE_addr_rsp (Zigbee spec
// §2.4.4.2.1). NumAssocDev is sent only for an extended request
// (Extended), and StartIndex and the list only when there are associated
// devices.
type AddrRsp struct {
	Status       Status
	IEEE         zigbee.IEEE
	NWK          zigbee.NWK
	Extended     bool
	StartIndex   uint8
	AssocDevices []zigbee.NWK
}

func (m AddrRsp) appendTo(dst []byte) []byte {
	dst = appendU64(append(dst, byte(m.Status)), uint64(m.IEEE))
	dst = appendU16(dst, uint16(m.NWK))
	if !m.Extended && len(m.AssocDevices) == 0 {
		return dst
	}
	devs := m.AssocDevices[:min(len(m.AssocDevices), 255)]
	dst = append(dst, byte(len(devs)))
	if len(devs) == 0 {
		return dst
	}
	dst = append(dst, m.StartIndex)
	for _, d := range devs {
		dst = appendU16(dst, uint16(d))
	}
	return dst
}

func parseAddrRsp(op string, b []byte) (AddrRsp, error) {
	r := reader{b: b}
	m := AddrRsp{Status: Status(r.u8()), IEEE: r.ieee(), NWK: r.nwk()}
	if r.err == nil && r.left() > 0 {
		m.Extended = true
		n := int(r.u8())
		if n > 0 {
			m.StartIndex = r.u8()
			if r.err == nil && 2*n > r.left() {
				r.fail(ErrTruncated)
			} else {
				m.AssocDevices = make([]zigbee.NWK, n)
				for i := range m.AssocDevices {
					m.AssocDevices[i] = r.nwk()
				}
			}
		}
	}
	if err := r.done(op); err != nil {
		return AddrRsp{}, err
	}
	return m, nil
}

// NWKAddrRsp answers NWK_addr_req (0x8000).
type NWKAddrRsp struct{ AddrRsp }

// Cluster implements Message.
func (NWKAddrRsp) Cluster() zigbee.ClusterID { return ClusterNWKAddrRsp }

// AppendTo implements Message.
func (m NWKAddrRsp) AppendTo(dst []byte) []byte { return m.appendTo(dst) }

// Err implements Response.
func (m NWKAddrRsp) Err() error { return statusErr(ClusterNWKAddrRsp, m.Status) }

// ParseNWKAddrRsp decodes a NWK_addr_rsp payload.
func ParseNWKAddrRsp(b []byte) (NWKAddrRsp, error) {
	m, err := parseAddrRsp("NWK_addr_rsp", b)
	return NWKAddrRsp{m}, err
}

// IEEEAddrRsp answers IEEE_addr_req (0x8001).
type IEEEAddrRsp struct{ AddrRsp }

// Cluster implements Message.
func (IEEEAddrRsp) Cluster() zigbee.ClusterID { return ClusterIEEEAddrRsp }

// AppendTo implements Message.
func (m IEEEAddrRsp) AppendTo(dst []byte) []byte { return m.appendTo(dst) }

// Err implements Response.
func (m IEEEAddrRsp) Err() error { return statusErr(ClusterIEEEAddrRsp, m.Status) }

// ParseIEEEAddrRsp decodes an IEEE_addr_rsp payload.
func ParseIEEEAddrRsp(b []byte) (IEEEAddrRsp, error) {
	m, err := parseAddrRsp("IEEE_addr_rsp", b)
	return IEEEAddrRsp{m}, err
}

// NodeDescReq asks for a node descriptor (Node_Desc_req, 0x0002).
type NodeDescReq struct {
	NWKOfInterest zigbee.NWK
}

// Cluster implements Message.
func (NodeDescReq) Cluster() zigbee.ClusterID { return ClusterNodeDescReq }

// AppendTo implements Message.
func (m NodeDescReq) AppendTo(dst []byte) []byte { return appendU16(dst, uint16(m.NWKOfInterest)) }

// ParseNodeDescReq decodes a Node_Desc_req payload.
func ParseNodeDescReq(b []byte) (NodeDescReq, error) {
	r := reader{b: b}
	m := NodeDescReq{NWKOfInterest: r.nwk()}
	return m, r.done("Node_Desc_req")
}

// NodeDescRsp answers Node_Desc_req (0x8002). The descriptor is sent only
// on success.
type NodeDescRsp struct {
	Status        Status
	NWKOfInterest zigbee.NWK
	Descriptor    NodeDescriptor
}

// Cluster implements Message.
func (NodeDescRsp) Cluster() zigbee.ClusterID { return ClusterNodeDescRsp }

// Err implements Response.
func (m NodeDescRsp) Err() error { return statusErr(ClusterNodeDescRsp, m.Status) }

// AppendTo implements Message.
func (m NodeDescRsp) AppendTo(dst []byte) []byte {
	dst = appendU16(append(dst, byte(m.Status)), uint16(m.NWKOfInterest))
	if m.Status == StatusSuccess {
		dst = m.Descriptor.AppendTo(dst)
	}
	return dst
}

// ParseNodeDescRsp decodes a Node_Desc_rsp payload.
func ParseNodeDescRsp(b []byte) (NodeDescRsp, error) {
	r := reader{b: b}
	m := NodeDescRsp{Status: Status(r.u8()), NWKOfInterest: r.nwk()}
	if m.Status == StatusSuccess {
		m.Descriptor = r.nodeDescriptor()
	}
	if err := r.done("Node_Desc_rsp"); err != nil {
		return NodeDescRsp{}, err
	}
	return m, nil
}

// PowerDescReq asks for a power descriptor (Power_Desc_req, 0x0003).
type PowerDescReq struct {
	NWKOfInterest zigbee.NWK
}

// Cluster implements Message.
func (PowerDescReq) Cluster() zigbee.ClusterID { return ClusterPowerDescReq }

// AppendTo implements Message.
func (m PowerDescReq) AppendTo(dst []byte) []byte { return appendU16(dst, uint16(m.NWKOfInterest)) }

// ParsePowerDescReq decodes a Power_Desc_req payload.
func ParsePowerDescReq(b []byte) (PowerDescReq, error) {
	r := reader{b: b}
	m := PowerDescReq{NWKOfInterest: r.nwk()}
	return m, r.done("Power_Desc_req")
}

// PowerDescRsp answers Power_Desc_req (0x8003); the descriptor is sent only
// on success.
type PowerDescRsp struct {
	Status        Status
	NWKOfInterest zigbee.NWK
	Descriptor    PowerDescriptor
}

// Cluster implements Message.
func (PowerDescRsp) Cluster() zigbee.ClusterID { return ClusterPowerDescRsp }

// Err implements Response.
func (m PowerDescRsp) Err() error { return statusErr(ClusterPowerDescRsp, m.Status) }

// AppendTo implements Message.
func (m PowerDescRsp) AppendTo(dst []byte) []byte {
	dst = appendU16(append(dst, byte(m.Status)), uint16(m.NWKOfInterest))
	if m.Status == StatusSuccess {
		dst = m.Descriptor.AppendTo(dst)
	}
	return dst
}

// ParsePowerDescRsp decodes a Power_Desc_rsp payload.
func ParsePowerDescRsp(b []byte) (PowerDescRsp, error) {
	r := reader{b: b}
	m := PowerDescRsp{Status: Status(r.u8()), NWKOfInterest: r.nwk()}
	if m.Status == StatusSuccess {
		m.Descriptor = r.powerDescriptor()
	}
	if err := r.done("Power_Desc_rsp"); err != nil {
		return PowerDescRsp{}, err
	}
	return m, nil
}

// SimpleDescReq asks for an endpoint's simple descriptor (Simple_Desc_req,
// 0x0004).
type SimpleDescReq struct {
	NWKOfInterest zigbee.NWK
	Endpoint      zigbee.Endpoint
}

// Cluster implements Message.
func (SimpleDescReq) Cluster() zigbee.ClusterID { return ClusterSimpleDescReq }

// AppendTo implements Message.
func (m SimpleDescReq) AppendTo(dst []byte) []byte {
	return append(appendU16(dst, uint16(m.NWKOfInterest)), byte(m.Endpoint))
}

// ParseSimpleDescReq decodes a Simple_Desc_req payload.
func ParseSimpleDescReq(b []byte) (SimpleDescReq, error) {
	r := reader{b: b}
	m := SimpleDescReq{NWKOfInterest: r.nwk(), Endpoint: zigbee.Endpoint(r.u8())}
	return m, r.done("Simple_Desc_req")
}

// SimpleDescRsp answers Simple_Desc_req (0x8004). On error the length byte
// is 0 and no descriptor follows.
type SimpleDescRsp struct {
	Status        Status
	NWKOfInterest zigbee.NWK
	Descriptor    SimpleDescriptor
}

// Cluster implements Message.
func (SimpleDescRsp) Cluster() zigbee.ClusterID { return ClusterSimpleDescRsp }

// Err implements Response.
func (m SimpleDescRsp) Err() error { return statusErr(ClusterSimpleDescRsp, m.Status) }

// AppendTo implements Message.
func (m SimpleDescRsp) AppendTo(dst []byte) []byte {
	dst = appendU16(append(dst, byte(m.Status)), uint16(m.NWKOfInterest))
	if m.Status != StatusSuccess {
		return append(dst, 0)
	}
	// The length byte cannot describe more than 255 bytes; such a
	// descriptor is cut at its out-cluster list.
	d := m.Descriptor
	if d.Len() > 255 {
		d.InClusters = d.InClusters[:min(len(d.InClusters), 123)]
		d.OutClusters = d.OutClusters[:min(len(d.OutClusters), (255-8-2*len(d.InClusters))/2)]
	}
	return d.AppendTo(append(dst, byte(d.Len())))
}

// ParseSimpleDescRsp decodes a Simple_Desc_rsp payload.
func ParseSimpleDescRsp(b []byte) (SimpleDescRsp, error) {
	const op = "Simple_Desc_rsp"
	r := reader{b: b}
	m := SimpleDescRsp{Status: Status(r.u8()), NWKOfInterest: r.nwk()}
	n := int(r.u8())
	if r.err == nil && n > 0 {
		if n > r.left() {
			r.fail(ErrTruncated)
		} else {
			sub := reader{b: r.b[r.i : r.i+n]}
			m.Descriptor = sub.simpleDescriptor()
			switch {
			case sub.err != nil:
				r.off = r.i + sub.off
				r.err = ErrBadLength // the length byte is shorter than the descriptor
			case sub.i != n:
				r.fail(ErrBadLength)
			}
			r.i += n
		}
	}
	if r.err == nil && m.Status != StatusSuccess && n > 0 {
		r.fail(ErrBadValue) // a descriptor with a failure status
	}
	if r.err == nil && m.Status == StatusSuccess && n == 0 {
		r.fail(ErrBadLength)
	}
	if err := r.done(op); err != nil {
		return SimpleDescRsp{}, err
	}
	return m, nil
}

// ActiveEPReq asks for a node's active endpoints (Active_EP_req, 0x0005).
type ActiveEPReq struct {
	NWKOfInterest zigbee.NWK
}

// Cluster implements Message.
func (ActiveEPReq) Cluster() zigbee.ClusterID { return ClusterActiveEPReq }

// AppendTo implements Message.
func (m ActiveEPReq) AppendTo(dst []byte) []byte { return appendU16(dst, uint16(m.NWKOfInterest)) }

// ParseActiveEPReq decodes an Active_EP_req payload.
func ParseActiveEPReq(b []byte) (ActiveEPReq, error) {
	r := reader{b: b}
	m := ActiveEPReq{NWKOfInterest: r.nwk()}
	return m, r.done("Active_EP_req")
}

// ActiveEPRsp answers Active_EP_req (0x8005).
type ActiveEPRsp struct {
	Status        Status
	NWKOfInterest zigbee.NWK
	Endpoints     []zigbee.Endpoint
}

// Cluster implements Message.
func (ActiveEPRsp) Cluster() zigbee.ClusterID { return ClusterActiveEPRsp }

// Err implements Response.
func (m ActiveEPRsp) Err() error { return statusErr(ClusterActiveEPRsp, m.Status) }

// AppendTo implements Message.
func (m ActiveEPRsp) AppendTo(dst []byte) []byte {
	dst = appendU16(append(dst, byte(m.Status)), uint16(m.NWKOfInterest))
	return appendEndpoints(dst, m.Endpoints)
}

// ParseActiveEPRsp decodes an Active_EP_rsp payload.
func ParseActiveEPRsp(b []byte) (ActiveEPRsp, error) {
	r := reader{b: b}
	m := ActiveEPRsp{Status: Status(r.u8()), NWKOfInterest: r.nwk()}
	m.Endpoints = r.endpoints()
	if err := r.done("Active_EP_rsp"); err != nil {
		return ActiveEPRsp{}, err
	}
	return m, nil
}

// MatchDescReq asks which endpoints match a profile and cluster lists
// (Match_Desc_req, 0x0006).
type MatchDescReq struct {
	NWKOfInterest zigbee.NWK
	Profile       zigbee.ProfileID
	InClusters    []zigbee.ClusterID
	OutClusters   []zigbee.ClusterID
}

// Cluster implements Message.
func (MatchDescReq) Cluster() zigbee.ClusterID { return ClusterMatchDescReq }

// AppendTo implements Message.
func (m MatchDescReq) AppendTo(dst []byte) []byte {
	dst = appendU16(appendU16(dst, uint16(m.NWKOfInterest)), uint16(m.Profile))
	return appendClusters(appendClusters(dst, m.InClusters), m.OutClusters)
}

// ParseMatchDescReq decodes a Match_Desc_req payload.
func ParseMatchDescReq(b []byte) (MatchDescReq, error) {
	r := reader{b: b}
	m := MatchDescReq{NWKOfInterest: r.nwk(), Profile: zigbee.ProfileID(r.u16())}
	m.InClusters = r.clusters()
	m.OutClusters = r.clusters()
	if err := r.done("Match_Desc_req"); err != nil {
		return MatchDescReq{}, err
	}
	return m, nil
}

// MatchDescRsp answers Match_Desc_req (0x8006).
type MatchDescRsp struct {
	Status        Status
	NWKOfInterest zigbee.NWK
	Endpoints     []zigbee.Endpoint
}

// Cluster implements Message.
func (MatchDescRsp) Cluster() zigbee.ClusterID { return ClusterMatchDescRsp }

// Err implements Response.
func (m MatchDescRsp) Err() error { return statusErr(ClusterMatchDescRsp, m.Status) }

// AppendTo implements Message.
func (m MatchDescRsp) AppendTo(dst []byte) []byte {
	dst = appendU16(append(dst, byte(m.Status)), uint16(m.NWKOfInterest))
	return appendEndpoints(dst, m.Endpoints)
}

// ParseMatchDescRsp decodes a Match_Desc_rsp payload.
func ParseMatchDescRsp(b []byte) (MatchDescRsp, error) {
	r := reader{b: b}
	m := MatchDescRsp{Status: Status(r.u8()), NWKOfInterest: r.nwk()}
	m.Endpoints = r.endpoints()
	if err := r.done("Match_Desc_rsp"); err != nil {
		return MatchDescRsp{}, err
	}
	return m, nil
}

// DeviceAnnce is broadcast by a device that joined or rejoined
// (Device_annce, 0x0013).
type DeviceAnnce struct {
	NWK           zigbee.NWK
	IEEE          zigbee.IEEE
	MACCapability MACCapability
}

// Cluster implements Message.
func (DeviceAnnce) Cluster() zigbee.ClusterID { return ClusterDeviceAnnce }

// AppendTo implements Message.
func (m DeviceAnnce) AppendTo(dst []byte) []byte {
	return append(appendU64(appendU16(dst, uint16(m.NWK)), uint64(m.IEEE)), byte(m.MACCapability))
}

// ParseDeviceAnnce decodes a Device_annce payload.
func ParseDeviceAnnce(b []byte) (DeviceAnnce, error) {
	r := reader{b: b}
	m := DeviceAnnce{NWK: r.nwk(), IEEE: r.ieee(), MACCapability: MACCapability(r.u8())}
	return m, r.done("Device_annce")
}

// BindAddrMode is a bind destination's address mode.
type BindAddrMode uint8

// Bind destination address modes.
const (
	BindGroup BindAddrMode = 0x01 // 16-bit group address, no endpoint
	BindIEEE  BindAddrMode = 0x03 // 64-bit address and endpoint
)

// BindTarget is the destination of a binding.
type BindTarget struct {
	Mode     BindAddrMode
	Group    uint16          // BindGroup
	IEEE     zigbee.IEEE     // BindIEEE
	Endpoint zigbee.Endpoint // BindIEEE
}

// UnicastTarget returns a binding to endpoint ep of device ieee.
func UnicastTarget(ieee zigbee.IEEE, ep zigbee.Endpoint) BindTarget {
	return BindTarget{Mode: BindIEEE, IEEE: ieee, Endpoint: ep}
}

// GroupTarget returns a binding to a group.
func GroupTarget(group uint16) BindTarget { return BindTarget{Mode: BindGroup, Group: group} }

// BindReq creates a binding on the source device (Bind_req, 0x0021); the
// same layout is Unbind_req.
type BindReq struct {
	SrcIEEE     zigbee.IEEE
	SrcEndpoint zigbee.Endpoint
	ClusterID   zigbee.ClusterID
	Dst         BindTarget
}

// Cluster implements Message.
func (BindReq) Cluster() zigbee.ClusterID { return ClusterBindReq }

// AppendTo implements Message. A Dst.Mode other than BindGroup is sent as
// BindIEEE.
func (m BindReq) AppendTo(dst []byte) []byte {
	dst = append(appendU64(dst, uint64(m.SrcIEEE)), byte(m.SrcEndpoint))
	dst = appendU16(dst, uint16(m.ClusterID))
	if m.Dst.Mode == BindGroup {
		return appendU16(append(dst, byte(BindGroup)), m.Dst.Group)
	}
	return append(appendU64(append(dst, byte(BindIEEE)), uint64(m.Dst.IEEE)), byte(m.Dst.Endpoint))
}

func parseBind(op string, b []byte) (BindReq, error) {
	r := reader{b: b}
	m := BindReq{SrcIEEE: r.ieee(), SrcEndpoint: zigbee.Endpoint(r.u8()), ClusterID: zigbee.ClusterID(r.u16())}
	m.Dst.Mode = BindAddrMode(r.u8())
	switch {
	case r.err != nil:
	case m.Dst.Mode == BindGroup:
		m.Dst.Group = r.u16()
	case m.Dst.Mode == BindIEEE:
		m.Dst.IEEE = r.ieee()
		m.Dst.Endpoint = zigbee.Endpoint(r.u8())
	default:
		r.i--
		r.fail(ErrBadValue)
	}
	if err := r.done(op); err != nil {
		return BindReq{}, err
	}
	return m, nil
}

// ParseBindReq decodes a Bind_req payload.
func ParseBindReq(b []byte) (BindReq, error) { return parseBind("Bind_req", b) }

// UnbindReq removes a binding (Unbind_req, 0x0022).
type UnbindReq BindReq

// Cluster implements Message.
func (UnbindReq) Cluster() zigbee.ClusterID { return ClusterUnbindReq }

// AppendTo implements Message.
func (m UnbindReq) AppendTo(dst []byte) []byte { return BindReq(m).AppendTo(dst) }

// ParseUnbindReq decodes an Unbind_req payload.
func ParseUnbindReq(b []byte) (UnbindReq, error) {
	m, err := parseBind("Unbind_req", b)
	return UnbindReq(m), err
}

// statusOnly decodes a response that is only a status byte.
func statusOnly(op string, b []byte) (Status, error) {
	r := reader{b: b}
	s := Status(r.u8())
	return s, r.done(op)
}

// BindRsp answers Bind_req (0x8021).
type BindRsp struct{ Status Status }

// Cluster implements Message.
func (BindRsp) Cluster() zigbee.ClusterID { return ClusterBindRsp }

// AppendTo implements Message.
func (m BindRsp) AppendTo(dst []byte) []byte { return append(dst, byte(m.Status)) }

// Err implements Response.
func (m BindRsp) Err() error { return statusErr(ClusterBindRsp, m.Status) }

// ParseBindRsp decodes a Bind_rsp payload.
func ParseBindRsp(b []byte) (BindRsp, error) {
	s, err := statusOnly("Bind_rsp", b)
	return BindRsp{s}, err
}

// UnbindRsp answers Unbind_req (0x8022).
type UnbindRsp struct{ Status Status }

// Cluster implements Message.
func (UnbindRsp) Cluster() zigbee.ClusterID { return ClusterUnbindRsp }

// AppendTo implements Message.
func (m UnbindRsp) AppendTo(dst []byte) []byte { return append(dst, byte(m.Status)) }

// Err implements Response.
func (m UnbindRsp) Err() error { return statusErr(ClusterUnbindRsp, m.Status) }

// ParseUnbindRsp decodes an Unbind_rsp payload.
func ParseUnbindRsp(b []byte) (UnbindRsp, error) {
	s, err := statusOnly("Unbind_rsp", b)
	return UnbindRsp{s}, err
}
