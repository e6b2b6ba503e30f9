package zdo

import (
	"encoding/hex"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// mtData returns the DATA of a full UNPI frame (SOF, LEN, CMD0, CMD1, DATA,
// FCS) from the shared ZNP vectors.
func mtData(t testing.TB, frame string) []byte {
	b := unhex(t, frame)
	if len(b) < 5 || int(b[1]) != len(b)-5 {
		t.Fatalf("not a UNPI frame: %s", frame)
	}
	return b[4 : len(b)-1]
}

// zdpVector is a ZDP payload (after the TSN) with its decoded form. hex is
// derived from the named vector in shared/protocol/vectors as noted by
// from: "mt[n:]" strips the MT prefix (srcAddr / dstAddr / addrMode) of a
// ZNP frame, whose remaining layout is the raw ZDP one; "raw" is a raw ZDP
// frame (TSN included) from ZDO_MSG_CB_INCOMING or EZSP; "built" was
// rearranged by hand from an MT layout that differs from ZDP.
type zdpVector struct {
	name    string
	cluster zigbee.ClusterID
	payload func(t testing.TB) []byte
	want    Message
}

func mt(frame string, skip int) func(t testing.TB) []byte {
	return func(t testing.TB) []byte { return mtData(t, frame)[skip:] }
}

func raw(s string) func(t testing.TB) []byte {
	return func(t testing.TB) []byte { return unhex(t, s)[1:] } // drop the TSN
}

func built(s string) func(t testing.TB) []byte {
	return func(t testing.TB) []byte { return unhex(t, s) }
}

var zdpVectors = []zdpVector{
	// Requests.
	{"znp/zdo.json ZDO_NWK_ADDR_REQ req single", ClusterNWKAddrReq,
		mt("FE0A25005321E512006F0D000000C8", 0),
		NWKAddrReq{IEEE: 0x000d6f0012e52153, RequestType: SingleDevice}},
	{"znp/zdo.json ZDO_IEEE_ADDR_REQ req single", ClusterIEEEAddrReq,
		mt("FE04250156C80000BE", 0),
		IEEEAddrReq{NWK: 0xC856}},
	{"znp/zdo.json ZDO_NODE_DESC_REQ req [#2844]", ClusterNodeDescReq,
		mt("FE042502A3D1A3D123", 2), NodeDescReq{NWKOfInterest: 0xD1A3}},
	{"ezsp/ezsp_frames.json real_incomingMessageHandler_pre_v14_zdo (Node_Desc_req)", ClusterNodeDescReq,
		raw("020000"), NodeDescReq{NWKOfInterest: 0x0000}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_REQ req [#3935]", ClusterSimpleDescReq,
		mt("FE052504B16BB16B0420", 2), SimpleDescReq{NWKOfInterest: 0x6BB1, Endpoint: 4}},
	{"znp/zdo.json ZDO_ACTIVE_EP_REQ req device", ClusterActiveEPReq,
		mt("FE042505A3D1A3D124", 2), ActiveEPReq{NWKOfInterest: 0xD1A3}},
	{"znp/zdo.json ZDO_BIND_REQ req (payload from issue error text)", ClusterBindReq,
		mt("FE17252174EE5AFA7B25004B10000800000353FA7B25004B12000188", 2),
		BindReq{SrcIEEE: 0x00104b00257bfa5a, SrcEndpoint: 8, ClusterID: 0x0000,
			Dst: UnicastTarget(0x00124b00257bfa53, 1)}},
	{"znp/zdo.json ZDO_UNBIND_REQ req group destination (MT pads the group to 8 bytes + ep)", ClusterUnbindReq,
		built("5AFA7B25004B1000" + "01" + "0600" + "01" + "0100"),
		UnbindReq{SrcIEEE: 0x00104b00257bfa5a, SrcEndpoint: 1, ClusterID: 0x0006, Dst: GroupTarget(1)}},
	{"znp/zdo.json ZDO_MGMT_LQI_REQ req start=0", ClusterMgmtLqiReq,
		mt("FE0325318DB5002F", 2), MgmtLqiReq{StartIndex: 0}},
	{"znp/zdo.json ZDO_MGMT_LEAVE_REQ req remove device (no rejoin)", ClusterMgmtLeaveReq,
		mt("FE0B253456C85321E512006F0D000063", 2), MgmtLeaveReq{IEEE: 0x000d6f0012e52153}},
	{"znp/zdo.json ZDO_MGMT_PERMIT_JOIN_REQ req broadcast 254s TC=1", ClusterMgmtPermitJoiningReq,
		mt("FE0525360FFCFFFE01E5", 3), MgmtPermitJoiningReq{Duration: 254, TCSignificance: true}},
	{"znp/zdo.json ZDO_MGMT_PERMIT_JOIN_REQ req close (duration 0)", ClusterMgmtPermitJoiningReq,
		mt("FE0525360FFCFF00011B", 3), MgmtPermitJoiningReq{Duration: 0, TCSignificance: true}},
	{"ezsp/ezsp_frames.json syn_sendBroadcast_zdo_permit_join_v14", ClusterMgmtPermitJoiningReq,
		raw("05fe01"), MgmtPermitJoiningReq{Duration: 254, TCSignificance: true}},

	// Responses and indications.
	{"znp/zdo.json ZDO_NWK_ADDR_RSP ind (single request: no NumAssocDev in ZDP)", ClusterNWKAddrRsp,
		built("00" + "5321E512006F0D00" + "56C8"),
		NWKAddrRsp{AddrRsp{IEEE: 0x000d6f0012e52153, NWK: 0xC856}}},
	{"znp/zdo.json ZDO_IEEE_ADDR_RSP ind extended with 2 children (ZDP puts NumAssocDev first)", ClusterIEEEAddrRsp,
		built("00" + "5321E512006F0D00" + "56C8" + "02" + "00" + "1111" + "2222"),
		IEEEAddrRsp{AddrRsp{IEEE: 0x000d6f0012e52153, NWK: 0xC856, Extended: true, AssocDevices: []zigbee.NWK{0x1111, 0x2222}}}},
	{"znp/zdo.json ZDO_NODE_DESC_RSP ind sleepy end device", ClusterNodeDescRsp,
		mt("FE124582A3D100A3D10240805F117F6400000064000026", 2),
		NodeDescRsp{NWKOfInterest: 0xD1A3, Descriptor: NodeDescriptor{
			LogicalType: EndDevice, FrequencyBand: Band2400MHz, MACCapability: CapAllocateAddress,
			ManufacturerCode: 0x115F, MaxBufferSize: 127, MaxInTransferSize: 100, MaxOutTransferSize: 100}}},
	{"znp/zdo.json ZDO_NODE_DESC_RSP ind interview example", ClusterNodeDescRsp,
		mt("FE12458256C80056C801408E7C11528000000080000025", 2),
		NodeDescRsp{NWKOfInterest: 0xC856, Descriptor: NodeDescriptor{
			LogicalType: Router, FrequencyBand: Band2400MHz,
			MACCapability:    CapAllocateAddress | CapRxOnWhenIdle | CapMainsPowered | CapFFD,
			ManufacturerCode: 0x117C, MaxBufferSize: 82, MaxInTransferSize: 128, MaxOutTransferSize: 128}}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_RSP ind [#4366]", ClusterSimpleDescRsp,
		mt("FE0E4584000000000008F2E0A1050000000071", 2),
		SimpleDescRsp{Descriptor: SimpleDescriptor{Endpoint: 242, Profile: zigbee.ProfileGP, DeviceID: 5}}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_RSP ind [#4366/2]", ClusterSimpleDescRsp,
		mt("FE0E45840000000000082F04010500000000E8", 2),
		SimpleDescRsp{Descriptor: SimpleDescriptor{Endpoint: 47, Profile: zigbee.ProfileHA, DeviceID: 5}}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_RSP ind [#3935]", ClusterSimpleDescRsp,
		mt("FE104584B16B00B16B0AF2E0A16100010001210028", 2),
		SimpleDescRsp{NWKOfInterest: 0x6BB1, Descriptor: SimpleDescriptor{Endpoint: 242, Profile: zigbee.ProfileGP,
			DeviceID: 0x0061, DeviceVersion: 1, OutClusters: []zigbee.ClusterID{0x0021}}}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_RSP ind on/off light ep1", ClusterSimpleDescRsp,
		mt("FE1A45847E56007E56140104010001010500000300040005000600011900D2", 2),
		SimpleDescRsp{NWKOfInterest: 0x567E, Descriptor: SimpleDescriptor{Endpoint: 1, Profile: zigbee.ProfileHA,
			DeviceID: 0x0100, DeviceVersion: 1, InClusters: []zigbee.ClusterID{0, 3, 4, 5, 6},
			OutClusters: []zigbee.ClusterID{0x0019}}}},
	{"znp/zdo.json ZDO_SIMPLE_DESC_RSP ind interview example", ClusterSimpleDescRsp,
		mt("FE1C458456C80056C81601040100010106000003000400050006000800011900DD", 2),
		SimpleDescRsp{NWKOfInterest: 0xC856, Descriptor: SimpleDescriptor{Endpoint: 1, Profile: zigbee.ProfileHA,
			DeviceID: 0x0100, DeviceVersion: 1, InClusters: []zigbee.ClusterID{0, 3, 4, 5, 6, 8},
			OutClusters: []zigbee.ClusterID{0x0019}}}},
	{"znp/zdo.json ZDO_ACTIVE_EP_RSP ind one endpoint", ClusterActiveEPRsp,
		mt("FE074585A3D100A3D10101C7", 2),
		ActiveEPRsp{NWKOfInterest: 0xD1A3, Endpoints: []zigbee.Endpoint{1}}},
	{"znp/zdo.json ZDO_ACTIVE_EP_RSP ind coordinator after herdsman registered its endpoints", ClusterActiveEPRsp,
		mt("FE15458500000000000F010203040506080A0B6E0C0D2FEFF289", 2),
		ActiveEPRsp{Endpoints: []zigbee.Endpoint{1, 2, 3, 4, 5, 6, 8, 10, 11, 110, 12, 13, 47, 239, 242}}},
	{"znp/zdo.json ZDO_BIND_RSP ind success", ClusterBindRsp, mt("FE0345A174EE007D", 2), BindRsp{}},
	{"znp/zdo.json ZDO_UNBIND_RSP ind status=0x88 (NO_ENTRY)", ClusterUnbindRsp,
		mt("FE0345A274EE88F6", 2), UnbindRsp{Status: StatusNoEntry}},
	{"znp/zdo.json ZDO_MGMT_LQI_RSP ind", ClusterMgmtLqiRsp,
		mt("FE3245B18DB500020002DDDDDDDDDDDDDDDDF25BE90B004B1200000004010116DDDDDDDDDDDDDDDD2F63090AAA3EB07C69D82501012459", 2),
		MgmtLqiRsp{Total: 2, Neighbors: []Neighbor{
			{ExtPANID: 0xdddddddddddddddd, IEEE: 0x00124b000be95bf2, NWK: 0x0000, DeviceType: Coordinator,
				RxOnWhenIdle: Yes, Relationship: RelParent, PermitJoining: Yes, Depth: 1, LQI: 22},
			{ExtPANID: 0xdddddddddddddddd, IEEE: 0x7cb03eaa0a09632f, NWK: 0xd869, DeviceType: Router,
				RxOnWhenIdle: Yes, Relationship: RelSibling, PermitJoining: Yes, Depth: 1, LQI: 36},
		}}},
	{"znp/zdo.json ZDO_MSG_CB_INCOMING ind Mgmt_Lqi_rsp (cluster 0x8031)", ClusterMgmtLqiRsp,
		raw("01" + "00070002a3c53335d0d23ae3a1c786feff9ffd90def215020134a3c53335d0d23ae327aa011a00bc150067e9120201aa"),
		MgmtLqiRsp{Total: 7, Neighbors: []Neighbor{
			{ExtPANID: 0xe33ad2d03533c5a3, IEEE: 0x90fd9ffffe86c7a1, NWK: 0xf2de, DeviceType: Router,
				RxOnWhenIdle: Yes, Relationship: RelChild, PermitJoining: Unknown, Depth: 1, LQI: 0x34},
			{ExtPANID: 0xe33ad2d03533c5a3, IEEE: 0x0015bc001a01aa27, NWK: 0xe967, DeviceType: EndDevice,
				RxOnWhenIdle: No, Relationship: RelChild, PermitJoining: Unknown, Depth: 1, LQI: 0xaa},
		}}},
	{"znp/zdo.json ZDO_MGMT_LEAVE_RSP ind", ClusterMgmtLeaveRsp, mt("FE0345B456C8006C", 2), MgmtLeaveRsp{}},
	{"znp/zdo.json ZDO_MGMT_PERMIT_JOIN_RSP ind", ClusterMgmtPermitJoiningRsp, mt("FE0345B6000000F0", 2), MgmtPermitJoiningRsp{}},
	{"znp/zdo.json ZDO_END_DEVICE_ANNCE_IND ind [#4398]", ClusterDeviceAnnce,
		mt("FE0D45C1F2D9F2D950F6EDFEFFD76B088EF9", 2),
		DeviceAnnce{NWK: 0xD9F2, IEEE: 0x086bd7fffeedf650, MACCapability: 0x8E}},
	{"znp/zdo.json ZDO_END_DEVICE_ANNCE_IND ind [#2844]", ClusterDeviceAnnce,
		mt("FE0D45C1A3D1A3D194C9753CDF8CCF048481", 2),
		DeviceAnnce{NWK: 0xD1A3, IEEE: 0x04cf8cdf3c75c994, MACCapability: CapAllocateAddress | CapMainsPowered}},
	{"ezsp/ezsp_frames.json syn_incomingMessageHandler_device_announce_v14", ClusterDeviceAnnce,
		raw("81341204030201008d150080"),
		DeviceAnnce{NWK: 0x1234, IEEE: 0x00158d0001020304, MACCapability: CapAllocateAddress}},
}
