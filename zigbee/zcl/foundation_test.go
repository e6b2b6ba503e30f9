package zcl

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// foundationCases are payloads (after the ZCL header) of foundation
// commands. Names starting with a vector file cite the shared vector the
// bytes came from; the others are synthesized from ZCL §2.5 layouts.
var foundationCases = []struct {
	name string
	cmd  CommandID
	hex  string
	want Payload
}{
	{"znp/af.json AF_DATA_REQUEST req cluster=0x0B04: read 3 attributes", CmdReadAttributes, "050508050b05",
		ReadAttributes{Attributes: []AttributeID{0x0505, 0x0508, 0x050B}}},
	{"znp/af.json interview example: read modelId", CmdReadAttributes, "0500",
		ReadAttributes{Attributes: []AttributeID{0x0005}}},
	{"znp/af.json AF_INCOMING_MSG ind cluster=0x0000: read rsp zclVersion", CmdReadAttributesResponse, "0000002001",
		ReadAttributesResponse{Records: []ReadRecord{{ID: 0, Status: StatusSuccess, Value: Uint8(1)}}}},
	{"znp/af.json interview example: read rsp modelId", CmdReadAttributesResponse,
		"0500004218545241444652492062756c62204532372057203830366c6d",
		ReadAttributesResponse{Records: []ReadRecord{{ID: 5, Status: StatusSuccess, Value: CharString("TRADFRI bulb E27 W 806lm")}}}},
	{"read rsp mixed statuses", CmdReadAttributesResponse, "04000042054e6f7661750500860700003002",
		ReadAttributesResponse{Records: []ReadRecord{
			{ID: 4, Status: StatusSuccess, Value: CharString("Novau")},
			{ID: 5, Status: StatusUnsupportedAttribute},
			{ID: 7, Status: StatusSuccess, Value: Enum8(2)},
		}}},
	{"znp/af.json AF_INCOMING_MSG ind cluster=0x0400: report illuminance", CmdReportAttributes, "000021d678",
		ReportAttributes{Records: []AttributeValue{{ID: 0, Value: Uint16(0x78D6)}}}},
	{"znp/af.json AF_INCOMING_MSG ind cluster=0x0006: report onOff as int8", CmdReportAttributes, "00002800",
		ReportAttributes{Records: []AttributeValue{{ID: 0, Value: Int8(0)}}}},
	{"ezsp syn_incomingMessageHandler_onoff_report_v14", CmdReportAttributes, "00001001",
		ReportAttributes{Records: []AttributeValue{{ID: 0, Value: Bool(true)}}}},
	{"report temperature and battery", CmdReportAttributes, "0000292e09" + "2100" + "20c8",
		ReportAttributes{Records: []AttributeValue{{ID: 0, Value: Int16(2350)}, {ID: 0x0021, Value: Uint8(200)}}}},
	{"write attributes", CmdWriteAttributes, "10002096" + "0040420161",
		WriteAttributes{Records: []AttributeValue{{ID: 0x0010, Value: Uint8(150)}, {ID: 0x4000, Value: CharString("a")}}}},
	{"write attributes response all ok", CmdWriteAttributesResponse, "00",
		WriteAttributesResponse{Status: StatusSuccess}},
	{"write attributes response failures", CmdWriteAttributesResponse, "8810008600f0",
		WriteAttributesResponse{Records: []AttributeStatus{{Status: StatusReadOnly, ID: 0x0010}, {Status: StatusUnsupportedAttribute, ID: 0xF000}}}},
	{"configure reporting onOff and temperature", CmdConfigureReporting,
		"00" + "0000" + "10" + "0000" + "100e" + "00" + "0000" + "29" + "0a00" + "100e" + "3200" + "01" + "0500" + "2c01",
		ConfigureReporting{Records: []ReportingConfig{
			{Direction: ReportSend, ID: 0, Type: TypeBool, MinInterval: 0, MaxInterval: 3600},
			{Direction: ReportSend, ID: 0, Type: TypeInt16, MinInterval: 10, MaxInterval: 3600, Change: Int16(50)},
			{Direction: ReportExpect, ID: 5, Timeout: 300},
		}}},
	{"configure reporting metering uint48 change", CmdConfigureReporting,
		"00" + "0000" + "25" + "0100" + "5802" + "0a0000000000",
		ConfigureReporting{Records: []ReportingConfig{
			{Direction: ReportSend, ID: 0, Type: TypeUint48, MinInterval: 1, MaxInterval: 600, Change: Uint48(10)},
		}}},
	{"configure reporting response all ok", CmdConfigureReportingResponse, "00",
		ConfigureReportingResponse{Status: StatusSuccess}},
	{"configure reporting response failure", CmdConfigureReportingResponse, "8c000000",
		ConfigureReportingResponse{Records: []ReportingStatus{{Status: StatusUnreportableAttribute, Direction: ReportSend, ID: 0}}}},
	{"read reporting configuration", CmdReadReportingConfiguration, "000000" + "010500",
		ReadReportingConfiguration{Records: []ReportingKey{{Direction: ReportSend, ID: 0}, {Direction: ReportExpect, ID: 5}}}},
	{"read reporting configuration response", CmdReadReportingConfigurationResponse,
		"00" + "00" + "0000" + "21" + "0100" + "1000" + "6400" + "8b" + "00" + "0100" + "00" + "01" + "0500" + "2c01",
		ReadReportingConfigurationResponse{Records: []ReportingConfigRecord{
			{Status: StatusSuccess, ReportingConfig: ReportingConfig{Direction: ReportSend, ID: 0, Type: TypeUint16, MinInterval: 1, MaxInterval: 16, Change: Uint16(100)}},
			{Status: StatusNotFound, ReportingConfig: ReportingConfig{Direction: ReportSend, ID: 1}},
			{Status: StatusSuccess, ReportingConfig: ReportingConfig{Direction: ReportExpect, ID: 5, Timeout: 300}},
		}}},
	{"znp/af.json AF_INCOMING_MSG ind ZCL default response to \"on\"", CmdDefaultResponse, "0100",
		DefaultResponse{Command: 0x01, Status: StatusSuccess}},
	{"znp/af.json AF_DATA_REQUEST req cluster=0x0006 [#1209]: default response to report", CmdDefaultResponse, "0a00",
		DefaultResponse{Command: CmdReportAttributes, Status: StatusSuccess}},
	{"default response unsupported command", CmdDefaultResponse, "4081",
		DefaultResponse{Command: 0x40, Status: StatusUnsupClusterCommand}},
	{"discover attributes", CmdDiscoverAttributes, "000010", DiscoverAttributes{Start: 0, Max: 16}},
	{"discover attributes response", CmdDiscoverAttributesResponse, "01" + "000010" + "0100" + "20",
		DiscoverAttributesResponse{Complete: true, Records: []AttributeInfo{{ID: 0, Type: TypeBool}, {ID: 1, Type: TypeUint8}}}},
	{"discover attributes extended response", CmdDiscoverAttributesExtendedResponse, "00" + "00001005" + "0040420" + "1",
		DiscoverAttributesExtendedResponse{Complete: false, Records: []AttributeInfoExt{
			{ID: 0, Type: TypeBool, Access: AccessRead | AccessReport},
			{ID: 0x4000, Type: TypeCharString, Access: AccessRead},
		}}},
	{"discover commands received", CmdDiscoverCommandsReceived, "0010", DiscoverCommands{Start: 0, Max: 16}},
	{"discover commands received response", CmdDiscoverCommandsReceivedResponse, "01000102",
		DiscoverCommandsResponse{Complete: true, Commands: []CommandID{0, 1, 2}}},
}

func TestFoundationPayloads(t *testing.T) {
	for _, tt := range foundationCases {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := decodeHexLoose(tt.hex)
			got, err := ParseGlobalPayload(tt.cmd, b)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parse =\n %#v\nwant\n %#v", got, tt.want)
			}
			if enc := tt.want.AppendTo(nil); !bytes.Equal(enc, b) {
				t.Fatalf("encode = %x, want %x", enc, b)
			}
		})
	}
}

func TestFoundationErrors(t *testing.T) {
	tests := []struct {
		name string
		cmd  CommandID
		hex  string
		want error
	}{
		{"read attributes odd length", CmdReadAttributes, "050508", ErrTruncated},
		{"read rsp record cut in id", CmdReadAttributesResponse, "00", ErrTruncated},
		{"read rsp missing status", CmdReadAttributesResponse, "0000", ErrTruncated},
		{"read rsp missing type", CmdReadAttributesResponse, "000000", ErrTruncated},
		{"read rsp value cut", CmdReadAttributesResponse, "00000021d6", ErrTruncated},
		{"read rsp string length past end", CmdReadAttributesResponse, "05000042185452", ErrTruncated},
		{"read rsp unknown type", CmdReadAttributesResponse, "0000000501", ErrUnknownType},
		{"report second record cut", CmdReportAttributes, "000021d678" + "0100", ErrTruncated},
		{"report no value", CmdReportAttributes, "000029", ErrTruncated},
		{"write rsp empty", CmdWriteAttributesResponse, "", ErrTruncated},
		{"write rsp record cut", CmdWriteAttributesResponse, "881000" + "86", ErrTruncated},
		{"configure reporting bad direction", CmdConfigureReporting, "02000000", ErrBadValue},
		{"configure reporting unknown type", CmdConfigureReporting, "000000" + "06" + "0000" + "1000", ErrUnknownType},
		{"configure reporting change cut", CmdConfigureReporting, "000000" + "29" + "0a00" + "100e" + "32", ErrTruncated},
		{"configure reporting timeout cut", CmdConfigureReporting, "01000001", ErrTruncated},
		{"configure reporting rsp empty", CmdConfigureReportingResponse, "", ErrTruncated},
		{"configure reporting rsp cut", CmdConfigureReportingResponse, "8c0000", ErrTruncated},
		{"read reporting config rsp body cut", CmdReadReportingConfigurationResponse, "0000000021", ErrTruncated},
		{"default response short", CmdDefaultResponse, "01", ErrTruncated},
		{"default response trailing", CmdDefaultResponse, "010000", ErrTrailing},
		{"discover attributes short", CmdDiscoverAttributes, "0000", ErrTruncated},
		{"discover rsp bad complete flag", CmdDiscoverAttributesResponse, "02", ErrBadValue},
		{"discover rsp record cut", CmdDiscoverAttributesResponse, "010000", ErrTruncated},
		{"discover ext rsp record cut", CmdDiscoverAttributesExtendedResponse, "0100001", ErrTruncated},
		{"structured read unsupported", CmdReadAttributesStructured, "00", ErrUnknownCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := decodeHexLoose(tt.hex)
			_, err := ParseGlobalPayload(tt.cmd, b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestResponseErr(t *testing.T) {
	if err := (WriteAttributesResponse{}).Err(); err != nil {
		t.Errorf("all-success write rsp: %v", err)
	}
	err := WriteAttributesResponse{Records: []AttributeStatus{{Status: StatusReadOnly, ID: 1}}}.Err()
	var se *StatusError
	if !errors.As(err, &se) || se.Status != StatusReadOnly || !errors.Is(err, ErrStatus) {
		t.Errorf("write rsp err = %v", err)
	}
	if err := (ConfigureReportingResponse{Status: StatusUnsupportedAttribute}).Err(); !errors.Is(err, ErrStatus) {
		t.Errorf("configure reporting rsp err = %v", err)
	}
	if got := StatusUnsupportedAttribute.String(); got != "UNSUPPORTED_ATTRIBUTE" {
		t.Errorf("String = %q", got)
	}
	if got := Status(0x42).String(); got != "Status(0x42)" {
		t.Errorf("String = %q", got)
	}
}

func TestNewReporting(t *testing.T) {
	c := NewReporting(0x0000, TypeInt16, 10, 3600, 50)
	if !c.Change.Equal(Int16(50)) {
		t.Errorf("change = %v", c.Change)
	}
	c = NewReporting(0x0000, TypeBool, 0, 3600, 1)
	if c.Change.Type != TypeNoData {
		t.Errorf("discrete type got a change %v", c.Change)
	}
	f := NewGlobal(7, CmdConfigureReporting, ConfigureReporting{Records: []ReportingConfig{c}})
	if got := f.Encode(); !bytes.Equal(got, unhex(t, "000706"+"000000"+"10"+"0000"+"100e")) {
		t.Errorf("frame = %x", got)
	}
}

func seedFoundation(f *testing.F, cmds ...CommandID) {
	for _, c := range foundationCases {
		for _, cmd := range cmds {
			if c.cmd == cmd {
				b, _ := decodeHexLoose(c.hex)
				f.Add(b)
			}
		}
	}
	for _, cmd := range cmds {
		for _, p := range vectorPayloads(f, cmd) {
			f.Add(p)
		}
	}
}

func fuzzRoundTrip(t *testing.T, cmd CommandID, b []byte) {
	p, err := ParseGlobalPayload(cmd, b)
	if err != nil {
		return
	}
	if enc := p.AppendTo(nil); !bytes.Equal(enc, b) {
		t.Fatalf("%s re-encodes %x, want %x", GlobalCommandName(cmd), enc, b)
	}
}

func FuzzReadAttributesResponse(f *testing.F) {
	seedFoundation(f, CmdReadAttributesResponse)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzRoundTrip(t, CmdReadAttributesResponse, b) })
}

func FuzzReportAttributes(f *testing.F) {
	seedFoundation(f, CmdReportAttributes, CmdWriteAttributes)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzRoundTrip(t, CmdReportAttributes, b) })
}

func FuzzConfigureReporting(f *testing.F) {
	seedFoundation(f, CmdConfigureReporting, CmdReadReportingConfigurationResponse)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRoundTrip(t, CmdConfigureReporting, b)
		fuzzRoundTrip(t, CmdReadReportingConfigurationResponse, b)
	})
}

// FuzzGlobalPayload runs every foundation decoder; the first byte picks
// the command.
func FuzzGlobalPayload(f *testing.F) {
	for _, c := range foundationCases {
		b, _ := decodeHexLoose(c.hex)
		f.Add(append([]byte{byte(c.cmd)}, b...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		fuzzRoundTrip(t, CommandID(b[0]%0x17), b[1:])
	})
}
