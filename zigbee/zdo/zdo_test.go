package zdo

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
)

func TestVectors(t *testing.T) {
	for _, v := range zdpVectors {
		t.Run(v.name, func(t *testing.T) {
			b := v.payload(t)
			got, err := DecodePayload(v.cluster, b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, v.want) {
				t.Fatalf("decode =\n %#v\nwant\n %#v", got, v.want)
			}
			if got.Cluster() != v.cluster {
				t.Errorf("Cluster = %v, want %v", got.Cluster(), v.cluster)
			}
			if enc := v.want.AppendTo(nil); !bytes.Equal(enc, b) {
				t.Fatalf("encode = %x, want %x", enc, b)
			}
			frame := Encode(0x42, v.want)
			tsn, m, err := Decode(v.cluster, frame)
			if err != nil || tsn != 0x42 || !reflect.DeepEqual(m, v.want) {
				t.Fatalf("Decode(Encode) = %d, %#v, %v", tsn, m, err)
			}
		})
	}
}

// TestTruncated cuts every vector at every length: all cuts must fail,
// except where the shorter form is itself valid.
func TestTruncated(t *testing.T) {
	validPrefix := map[zigbee.ClusterID]int{
		// status + IEEE + NWK is the complete single-device answer.
		ClusterNWKAddrRsp:  11,
		ClusterIEEEAddrRsp: 11,
	}
	for _, v := range zdpVectors {
		t.Run(v.name, func(t *testing.T) {
			b := v.payload(t)
			for n := range len(b) {
				_, err := DecodePayload(v.cluster, b[:n])
				if n == validPrefix[v.cluster] && n > 0 {
					if err != nil {
						t.Errorf("cut at %d: %v", n, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("cut at %d of %d decoded without error", n, len(b))
					continue
				}
				var de *DecodeError
				if !errors.As(err, &de) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrBadLength)) {
					t.Errorf("cut at %d: err = %v", n, err)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	msgs := []Message{
		NWKAddrReq{IEEE: 0x00124b0012345678, RequestType: Extended, StartIndex: 3},
		IEEEAddrReq{NWK: 0x1234, RequestType: Extended},
		NWKAddrRsp{AddrRsp{Status: StatusDeviceNotFound, IEEE: 0x00124b0012345678, NWK: 0xFFFE}},
		NWKAddrRsp{AddrRsp{IEEE: 1, NWK: 2, Extended: true}},
		IEEEAddrRsp{AddrRsp{IEEE: 1, NWK: 2, Extended: true, StartIndex: 5, AssocDevices: []zigbee.NWK{7}}},
		NodeDescRsp{Status: StatusDeviceNotFound, NWKOfInterest: 0x1234},
		NodeDescRsp{NWKOfInterest: 0, Descriptor: NodeDescriptor{LogicalType: Coordinator, ComplexDescriptorAvailable: true,
			UserDescriptorAvailable: true, APSFlags: 0, FrequencyBand: Band2400MHz,
			MACCapability:    CapAltPANCoordinator | CapFFD | CapMainsPowered | CapRxOnWhenIdle | CapSecurity | CapAllocateAddress,
			ManufacturerCode: 0x0451, MaxBufferSize: 80, MaxInTransferSize: 160,
			ServerMask: ServerPrimaryTrustCenter | ServerNetworkManager | 22<<9, MaxOutTransferSize: 160,
			DescriptorCapability: ExtendedActiveEPListAvailable}},
		PowerDescReq{NWKOfInterest: 0x1234},
		PowerDescRsp{NWKOfInterest: 0x1234, Descriptor: PowerDescriptor{CurrentMode: PowerModeStimulated,
			AvailableSources: PowerDisposable, CurrentSource: PowerDisposable, CurrentLevel: Power66}},
		PowerDescRsp{Status: StatusNoDescriptor, NWKOfInterest: 0x1234},
		SimpleDescRsp{Status: StatusInvalidEP, NWKOfInterest: 0x1234},
		MatchDescReq{NWKOfInterest: 0xFFFD, Profile: zigbee.ProfileHA, InClusters: []zigbee.ClusterID{0x0019}},
		MatchDescRsp{NWKOfInterest: 0x1234, Endpoints: []zigbee.Endpoint{1, 2}},
		MatchDescRsp{Status: StatusNoMatch},
		BindReq{SrcIEEE: 1, SrcEndpoint: 1, ClusterID: 6, Dst: GroupTarget(901)},
		UnbindReq{SrcIEEE: 1, SrcEndpoint: 1, ClusterID: 8, Dst: UnicastTarget(2, 3)},
		BindRsp{Status: StatusTableFull},
		MgmtLqiReq{StartIndex: 3},
		MgmtLqiRsp{Status: StatusNotSupported},
		MgmtRtgReq{StartIndex: 1},
		MgmtRtgRsp{Total: 3, StartIndex: 1, Routes: []Route{
			{Dst: 0x1234, Status: RouteActive, NextHop: 0x5678},
			{Dst: 0x0000, Status: RouteValidationUnderway, MemoryConstrained: true, ManyToOne: true, RouteRecordRequired: true, NextHop: 0xABCD},
		}},
		MgmtRtgRsp{Status: StatusNotSupported},
		MgmtLeaveReq{IEEE: 5, RemoveChildren: true, Rejoin: true},
		MgmtLeaveRsp{Status: StatusNotAuthorized},
		MgmtPermitJoiningRsp{Status: StatusInvRequestType},
		MgmtNWKUpdateReq{Channels: zigbee.ChannelMask(0x07FFF800), ScanDuration: 3, ScanCount: 1},
		MgmtNWKUpdateReq{Channels: zigbee.Channel(15).Mask(), ScanDuration: ScanChangeChannel, UpdateID: 4},
		MgmtNWKUpdateReq{Channels: zigbee.ChannelMask(0x07FFF800), ScanDuration: ScanChangeManager, UpdateID: 5, ManagerAddr: 0x0000},
		MgmtNWKUpdateNotify{ScannedChannels: 0x00001800, TotalTransmissions: 100, TransmissionFailures: 3, Energies: []uint8{0x90, 0xA0}},
		MgmtNWKUpdateNotify{Status: StatusInvRequestType},
	}
	for _, m := range msgs {
		t.Run(ClusterName(m.Cluster()), func(t *testing.T) {
			b := Encode(9, m)
			tsn, got, err := Decode(m.Cluster(), b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if tsn != 9 || !reflect.DeepEqual(got, m) {
				t.Fatalf("got %#v, want %#v", got, m)
			}
		})
	}
}

func TestKnownBytes(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		hex  string
	}{
		// Zigbee spec §2.4.3.3.2: group binding has a 2-byte address and no endpoint.
		{"bind to group 901", BindReq{SrcIEEE: 0x00124b0012345678, SrcEndpoint: 1, ClusterID: 6, Dst: GroupTarget(901)},
			"78563412004b1200" + "01" + "0600" + "01" + "8503"},
		{"leave with rejoin", MgmtLeaveReq{IEEE: 0x00124b0012345678, Rejoin: true}, "78563412004b1200" + "80"},
		{"NWK update change channel 15", MgmtNWKUpdateReq{Channels: zigbee.Channel(15).Mask(), ScanDuration: ScanChangeChannel, UpdateID: 1},
			"00800000" + "fe" + "01"},
		{"NWK update energy scan", MgmtNWKUpdateReq{Channels: 0x07FFF800, ScanDuration: 2, ScanCount: 1}, "00f8ff07" + "02" + "01"},
		{"NWK update manager", MgmtNWKUpdateReq{Channels: 0x07FFF800, ScanDuration: ScanChangeManager, UpdateID: 2, ManagerAddr: 0x1234},
			"00f8ff07" + "ff" + "02" + "3412"},
		{"simple desc failure", SimpleDescRsp{Status: StatusNotActive, NWKOfInterest: 0x1234}, "83" + "3412" + "00"},
		{"node desc failure has no descriptor", NodeDescRsp{Status: StatusDeviceNotFound, NWKOfInterest: 0x1234}, "81" + "3412"},
		{"power desc battery", PowerDescRsp{NWKOfInterest: 1, Descriptor: PowerDescriptor{CurrentMode: PowerModeRxOnWhenIdle,
			AvailableSources: PowerMains | PowerRechargeable, CurrentSource: PowerMains, CurrentLevel: Power100}}, "00" + "0100" + "30" + "c1"},
		{"route entry flags", MgmtRtgRsp{Total: 1, Routes: []Route{{Dst: 1, Status: RouteInactive, ManyToOne: true, NextHop: 2}}},
			"00" + "01" + "00" + "01" + "0100" + "13" + "0200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.AppendTo(nil); !bytes.Equal(got, unhex(t, tt.hex)) {
				t.Fatalf("encode = %x, want %s", got, tt.hex)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		cluster zigbee.ClusterID
		hex     string
		want    error
	}{
		{"bind bad addr mode", ClusterBindReq, "0100000000000000" + "01" + "0600" + "02" + "0100", ErrBadValue},
		{"bind group cut", ClusterBindReq, "0100000000000000" + "01" + "0600" + "01" + "01", ErrTruncated},
		{"simple desc length too long", ClusterSimpleDescRsp, "00" + "0000" + "09" + "01040101000000" + "0000" + "ff", ErrBadLength},
		{"simple desc length too short", ClusterSimpleDescRsp, "00" + "0000" + "07" + "0104010100000000", ErrBadLength},
		{"simple desc length past end", ClusterSimpleDescRsp, "00" + "0000" + "20" + "0104010100000000", ErrTruncated},
		{"simple desc success without descriptor", ClusterSimpleDescRsp, "00" + "0000" + "00", ErrBadLength},
		{"simple desc failure with descriptor", ClusterSimpleDescRsp, "82" + "0000" + "08" + "0104010100000000", ErrBadValue},
		{"active ep count past end", ClusterActiveEPRsp, "00" + "0000" + "05" + "0102", ErrTruncated},
		{"lqi count past end", ClusterMgmtLqiRsp, "00" + "05" + "00" + "02" + "dddd", ErrTruncated},
		{"addr rsp assoc list past end", ClusterNWKAddrRsp, "00" + "0100000000000000" + "0200" + "03" + "00" + "1111", ErrTruncated},
		{"match desc cluster list past end", ClusterMatchDescReq, "fdff" + "0401" + "02" + "0600", ErrTruncated},
		{"update notify energies past end", ClusterMgmtNWKUpdateNotify, "00" + "00180000" + "6400" + "0300" + "03" + "90", ErrTruncated},
		{"unknown cluster", 0x0015, "00", ErrUnknownCluster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodePayload(tt.cluster, unhex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if m != nil {
				t.Fatalf("failed decode returned a message %#v", m)
			}
		})
	}
	if _, _, err := Decode(ClusterNodeDescReq, nil); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Decode(nil) = %v", err)
	}
}

func TestResponseErr(t *testing.T) {
	var r Response = SimpleDescRsp{Status: StatusInvalidEP}
	err := r.Err()
	var se *StatusError
	if !errors.As(err, &se) || se.Status != StatusInvalidEP || !errors.Is(err, ErrStatus) {
		t.Fatalf("Err = %v", err)
	}
	if got, want := err.Error(), "zdo: Simple_Desc_rsp: INVALID_EP"; got != want {
		t.Errorf("Error = %q, want %q", got, want)
	}
	if (BindRsp{}).Err() != nil {
		t.Error("success must give nil")
	}
	if got := Status(0x8D).String(); got != "NOT_AUTHORIZED" {
		t.Errorf("String = %q", got)
	}
	if ResponseCluster(ClusterMgmtLqiReq) != ClusterMgmtLqiRsp {
		t.Error("ResponseCluster")
	}
	if got := (ServerMask(22<<9 | 0x41)).StackComplianceRevision(); got != 22 {
		t.Errorf("StackComplianceRevision = %d", got)
	}
}

var fuzzClusters = []zigbee.ClusterID{
	ClusterNWKAddrReq, ClusterIEEEAddrReq, ClusterNodeDescReq, ClusterPowerDescReq, ClusterSimpleDescReq,
	ClusterActiveEPReq, ClusterMatchDescReq, ClusterDeviceAnnce, ClusterBindReq, ClusterUnbindReq,
	ClusterMgmtLqiReq, ClusterMgmtRtgReq, ClusterMgmtLeaveReq, ClusterMgmtPermitJoiningReq, ClusterMgmtNWKUpdateReq,
	ClusterNWKAddrRsp, ClusterIEEEAddrRsp, ClusterNodeDescRsp, ClusterPowerDescRsp, ClusterSimpleDescRsp,
	ClusterActiveEPRsp, ClusterMatchDescRsp, ClusterBindRsp, ClusterUnbindRsp, ClusterMgmtLqiRsp,
	ClusterMgmtRtgRsp, ClusterMgmtLeaveRsp, ClusterMgmtPermitJoiningRsp, ClusterMgmtNWKUpdateNotify,
}

// FuzzDecode runs every decoder (the first byte picks the cluster). A
// successful decode must re-encode to no more bytes than it was given
// (trailing bytes are ignored by design) and decode again to the same
// message; reserved bits are the only bytes allowed to change.
func FuzzDecode(f *testing.F) {
	for _, v := range zdpVectors {
		for i, c := range fuzzClusters {
			if c == v.cluster {
				f.Add(append([]byte{byte(i)}, v.payload(f)...))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		c := fuzzClusters[int(b[0])%len(fuzzClusters)]
		m, err := DecodePayload(c, b[1:])
		if err != nil {
			return
		}
		enc := m.AppendTo(nil)
		if len(enc) > len(b)-1 {
			t.Fatalf("%s: %x re-encodes longer: %x", ClusterName(c), b[1:], enc)
		}
		m2, err := DecodePayload(c, enc)
		if err != nil {
			t.Fatalf("%s: re-encoded %x does not decode: %v", ClusterName(c), enc, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("%s: %#v became %#v", ClusterName(c), m, m2)
		}
		if enc2 := m2.AppendTo(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("%s: encoding not stable: %x vs %x", ClusterName(c), enc, enc2)
		}
	})
}
