package zdo

import (
	"fmt"

	"github.com/zhubhq/zhub/zigbee"
)

// ZDO cluster ids (Zigbee spec §2.4.3, §2.4.4). A response's cluster is its
// request's with bit 15 set.
const (
	ClusterNWKAddrReq           zigbee.ClusterID = 0x0000
	ClusterIEEEAddrReq          zigbee.ClusterID = 0x0001
	ClusterNodeDescReq          zigbee.ClusterID = 0x0002
	ClusterPowerDescReq         zigbee.ClusterID = 0x0003
	ClusterSimpleDescReq        zigbee.ClusterID = 0x0004
	ClusterActiveEPReq          zigbee.ClusterID = 0x0005
	ClusterMatchDescReq         zigbee.ClusterID = 0x0006
	ClusterDeviceAnnce          zigbee.ClusterID = 0x0013
	ClusterBindReq              zigbee.ClusterID = 0x0021
	ClusterUnbindReq            zigbee.ClusterID = 0x0022
	ClusterMgmtLqiReq           zigbee.ClusterID = 0x0031
	ClusterMgmtRtgReq           zigbee.ClusterID = 0x0032
	ClusterMgmtLeaveReq         zigbee.ClusterID = 0x0034
	ClusterMgmtPermitJoiningReq zigbee.ClusterID = 0x0036
	ClusterMgmtNWKUpdateReq     zigbee.ClusterID = 0x0038

	ClusterNWKAddrRsp           zigbee.ClusterID = 0x8000
	ClusterIEEEAddrRsp          zigbee.ClusterID = 0x8001
	ClusterNodeDescRsp          zigbee.ClusterID = 0x8002
	ClusterPowerDescRsp         zigbee.ClusterID = 0x8003
	ClusterSimpleDescRsp        zigbee.ClusterID = 0x8004
	ClusterActiveEPRsp          zigbee.ClusterID = 0x8005
	ClusterMatchDescRsp         zigbee.ClusterID = 0x8006
	ClusterBindRsp              zigbee.ClusterID = 0x8021
	ClusterUnbindRsp            zigbee.ClusterID = 0x8022
	ClusterMgmtLqiRsp           zigbee.ClusterID = 0x8031
	ClusterMgmtRtgRsp           zigbee.ClusterID = 0x8032
	ClusterMgmtLeaveRsp         zigbee.ClusterID = 0x8034
	ClusterMgmtPermitJoiningRsp zigbee.ClusterID = 0x8036
	ClusterMgmtNWKUpdateNotify  zigbee.ClusterID = 0x8038
)

// ResponseBit marks a response cluster.
const ResponseBit zigbee.ClusterID = 0x8000

// ResponseCluster returns the response cluster of request cluster c.
func ResponseCluster(c zigbee.ClusterID) zigbee.ClusterID { return c | ResponseBit }

var clusterNames = map[zigbee.ClusterID]string{
	ClusterNWKAddrReq: "NWK_addr_req", ClusterIEEEAddrReq: "IEEE_addr_req",
	ClusterNodeDescReq: "Node_Desc_req", ClusterPowerDescReq: "Power_Desc_req",
	ClusterSimpleDescReq: "Simple_Desc_req", ClusterActiveEPReq: "Active_EP_req",
	ClusterMatchDescReq: "Match_Desc_req", ClusterDeviceAnnce: "Device_annce",
	ClusterBindReq: "Bind_req", ClusterUnbindReq: "Unbind_req",
	ClusterMgmtLqiReq: "Mgmt_Lqi_req", ClusterMgmtRtgReq: "Mgmt_Rtg_req",
	ClusterMgmtLeaveReq: "Mgmt_Leave_req", ClusterMgmtPermitJoiningReq: "Mgmt_Permit_Joining_req",
	ClusterMgmtNWKUpdateReq: "Mgmt_NWK_Update_req",
	ClusterNWKAddrRsp:       "NWK_addr_rsp", ClusterIEEEAddrRsp: "IEEE_addr_rsp",
	ClusterNodeDescRsp: "Node_Desc_rsp", ClusterPowerDescRsp: "Power_Desc_rsp",
	ClusterSimpleDescRsp: "Simple_Desc_rsp", ClusterActiveEPRsp: "Active_EP_rsp",
	ClusterMatchDescRsp: "Match_Desc_rsp", ClusterBindRsp: "Bind_rsp", ClusterUnbindRsp: "Unbind_rsp",
	ClusterMgmtLqiRsp: "Mgmt_Lqi_rsp", ClusterMgmtRtgRsp: "Mgmt_Rtg_rsp",
	ClusterMgmtLeaveRsp: "Mgmt_Leave_rsp", ClusterMgmtPermitJoiningRsp: "Mgmt_Permit_Joining_rsp",
	ClusterMgmtNWKUpdateNotify: "Mgmt_NWK_Update_notify",
}

// ClusterName returns the spec name of a ZDO cluster ("Node_Desc_rsp").
func ClusterName(c zigbee.ClusterID) string { return clusterName(uint16(c)) }

func clusterName(c uint16) string {
	if n, ok := clusterNames[zigbee.ClusterID(c)]; ok {
		return n
	}
	return fmt.Sprintf("ZDO cluster 0x%04X", c)
}

// Message is a ZDP request or response payload (without the TSN).
type Message interface {
	// Cluster returns the ZDO cluster the message is sent on.
	Cluster() zigbee.ClusterID
	// AppendTo appends the payload that follows the TSN.
	AppendTo(dst []byte) []byte
}

// Response is a Message that carries a ZDP status.
type Response interface {
	Message
	// Err returns nil for StatusSuccess and a *StatusError otherwise.
	Err() error
}

// Encode returns the ZDP frame for m: the TSN followed by the payload.
func Encode(tsn uint8, m Message) []byte {
	return m.AppendTo([]byte{tsn})
}

// Decode decodes a ZDP frame (TSN and payload) received on cluster c.
// Bytes after the last field are ignored: later Zigbee revisions append
// fields and TLVs.
func Decode(c zigbee.ClusterID, b []byte) (tsn uint8, m Message, err error) {
	if len(b) < 1 {
		return 0, nil, &DecodeError{Op: ClusterName(c), Err: ErrTruncated}
	}
	m, err = DecodePayload(c, b[1:])
	return b[0], m, err
}

// DecodePayload decodes the payload after the TSN. It suits the Z-Stack MT
// callbacks (ZDO_NODE_DESC_RSP and friends), which carry the source address
// and then the ZDP payload without its TSN; NWK_addr_rsp and
// IEEE_addr_rsp are the exception (MT swaps StartIndex and NumAssocDev).
func DecodePayload(c zigbee.ClusterID, b []byte) (Message, error) {
	switch c {
	case ClusterNWKAddrReq:
		return wrap(ParseNWKAddrReq(b))
	case ClusterIEEEAddrReq:
		return wrap(ParseIEEEAddrReq(b))
	case ClusterNodeDescReq:
		return wrap(ParseNodeDescReq(b))
	case ClusterPowerDescReq:
		return wrap(ParsePowerDescReq(b))
	case ClusterSimpleDescReq:
		return wrap(ParseSimpleDescReq(b))
	case ClusterActiveEPReq:
		return wrap(ParseActiveEPReq(b))
	case ClusterMatchDescReq:
		return wrap(ParseMatchDescReq(b))
	case ClusterDeviceAnnce:
		return wrap(ParseDeviceAnnce(b))
	case ClusterBindReq:
		return wrap(ParseBindReq(b))
	case ClusterUnbindReq:
		return wrap(ParseUnbindReq(b))
	case ClusterMgmtLqiReq:
		return wrap(ParseMgmtLqiReq(b))
	case ClusterMgmtRtgReq:
		return wrap(ParseMgmtRtgReq(b))
	case ClusterMgmtLeaveReq:
		return wrap(ParseMgmtLeaveReq(b))
	case ClusterMgmtPermitJoiningReq:
		return wrap(ParseMgmtPermitJoiningReq(b))
	case ClusterMgmtNWKUpdateReq:
		return wrap(ParseMgmtNWKUpdateReq(b))
	case ClusterNWKAddrRsp:
		return wrap(ParseNWKAddrRsp(b))
	case ClusterIEEEAddrRsp:
		return wrap(ParseIEEEAddrRsp(b))
	case ClusterNodeDescRsp:
		return wrap(ParseNodeDescRsp(b))
	case ClusterPowerDescRsp:
		return wrap(ParsePowerDescRsp(b))
	case ClusterSimpleDescRsp:
		return wrap(ParseSimpleDescRsp(b))
	case ClusterActiveEPRsp:
		return wrap(ParseActiveEPRsp(b))
	case ClusterMatchDescRsp:
		return wrap(ParseMatchDescRsp(b))
	case ClusterBindRsp:
		return wrap(ParseBindRsp(b))
	case ClusterUnbindRsp:
		return wrap(ParseUnbindRsp(b))
	case ClusterMgmtLqiRsp:
		return wrap(ParseMgmtLqiRsp(b))
	case ClusterMgmtRtgRsp:
		return wrap(ParseMgmtRtgRsp(b))
	case ClusterMgmtLeaveRsp:
		return wrap(ParseMgmtLeaveRsp(b))
	case ClusterMgmtPermitJoiningRsp:
		return wrap(ParseMgmtPermitJoiningRsp(b))
	case ClusterMgmtNWKUpdateNotify:
		return wrap(ParseMgmtNWKUpdateNotify(b))
	}
	return nil, &DecodeError{Op: ClusterName(c), Err: ErrUnknownCluster}
}

func statusErr(c zigbee.ClusterID, s Status) error {
	if s == StatusSuccess {
		return nil
	}
	return &StatusError{Cluster: uint16(c), Status: s}
}

// wrap keeps a failed decode from returning a non-nil Message.
func wrap[T Message](m T, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}
