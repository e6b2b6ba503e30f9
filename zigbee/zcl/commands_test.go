package zcl

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

type commandParser func([]byte) (Payload, error)

func parser[T Payload](f func([]byte) (T, error)) commandParser {
	return func(b []byte) (Payload, error) {
		p, err := f(b)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

var commandParsers = map[string]commandParser{
	"offWithEffect":         parser(ParseOffWithEffect),
	"onWithTimedOff":        parser(ParseOnWithTimedOff),
	"moveToLevel":           parser(ParseMoveToLevel),
	"move":                  parser(ParseMove),
	"step":                  parser(ParseStep),
	"stop":                  parser(ParseStop),
	"moveToHue":             parser(ParseMoveToHue),
	"enhancedMoveToHue":     parser(ParseEnhancedMoveToHue),
	"moveToSaturation":      parser(ParseMoveToSaturation),
	"moveToHueSat":          parser(ParseMoveToHueSat),
	"enhancedMoveToHueSat":  parser(ParseEnhancedMoveToHueSat),
	"moveToColor":           parser(ParseMoveToColor),
	"moveToColorTemp":       parser(ParseMoveToColorTemp),
	"identify":              parser(ParseIdentify),
	"groupName":             parser(ParseGroupName),
	"groupID":               parser(ParseGroupID),
	"groupStatus":           parser(ParseGroupStatus),
	"getGroupMembership":    parser(ParseGetGroupMembership),
	"getGroupMembershipRsp": parser(ParseGetGroupMembershipResponse),
	"sceneRef":              parser(ParseSceneRef),
	"sceneStatus":           parser(ParseSceneStatus),
	"zoneStatusChange":      parser(ParseZoneStatusChangeNotification),
	"zoneEnrollRequest":     parser(ParseZoneEnrollRequest),
	"zoneEnrollResponse":    parser(ParseZoneEnrollResponse),
	"doorLock":              parser(ParseDoorLockCommand),
	"doorLockResponse":      parser(ParseDoorLockResponse),
	"goToPercentage":        parser(ParseGoToPercentage),
	"setpointRaiseLower":    parser(ParseSetpointRaiseLower),
	"checkInResponse":       parser(ParseCheckInResponse),
	"setLongPollInterval":   parser(ParseSetLongPollInterval),
	"setShortPollInterval":  parser(ParseSetShortPollInterval),
}

// commandCases: payload bytes after the ZCL header, built from the ZCL
// layouts (the shared vectors carry only payload-less on/off commands).
var commandCases = []struct {
	name, parser, hex string
	want              Payload
}{
	{"off with effect fade", "offWithEffect", "0000", OffWithEffect{}},
	{"on with timed off 60 s", "onWithTimedOff", "00" + "5802" + "0000", OnWithTimedOff{OnTime: 600}},
	{"move to level 254 in 1 s", "moveToLevel", "fe0a00", MoveToLevel{Level: 254, TransitionTime: 10}},
	{"move to level with options", "moveToLevel", "800000" + "0101", MoveToLevel{Level: 128, Options: Options{Present: true, Mask: 1, Override: 1}}},
	{"move down", "move", "0132", Move{Mode: MoveDown, Rate: 50}},
	{"step up with options", "step", "00" + "20" + "0500" + "0000", Step{Mode: MoveUp, StepSize: 32, TransitionTime: 5, Options: Options{Present: true}}},
	{"stop", "stop", "", Stop{}},
	{"stop with options", "stop", "0100", Stop{Options: Options{Present: true, Mask: 1}}},
	{"move to hue", "moveToHue", "aa" + "00" + "0a00", MoveToHue{Hue: 0xAA, TransitionTime: 10}},
	{"enhanced move to hue", "enhancedMoveToHue", "3412" + "02" + "0000", EnhancedMoveToHue{Hue: 0x1234, Direction: HueUp}},
	{"move to saturation", "moveToSaturation", "fe" + "0000", MoveToSaturation{Saturation: 254}},
	{"move to hue and saturation", "moveToHueSat", "10" + "20" + "0a00", MoveToHueSat{Hue: 0x10, Saturation: 0x20, TransitionTime: 10}},
	{"enhanced move to hue and saturation", "enhancedMoveToHueSat", "0080" + "fe" + "0100", EnhancedMoveToHueSat{Hue: 0x8000, Saturation: 254, TransitionTime: 1}},
	{"move to color D65", "moveToColor", "1c50" + "2155" + "0000", MoveToColor{X: 0x501C, Y: 0x5521}},
	{"move to color temp 370 mireds", "moveToColorTemp", "7201" + "0a00", MoveToColorTemp{Mireds: 370, TransitionTime: 10}},
	{"identify 5 s", "identify", "0500", Identify{Time: 5}},
	{"add group 901 no name", "groupName", "8503" + "00", GroupName{GroupID: 901}},
	{"add group with name", "groupName", "0100" + "046b697463", GroupName{GroupID: 1, Name: "kitc"}},
	{"view group", "groupID", "0100", GroupID{GroupID: 1}},
	{"add group response", "groupStatus", "00" + "8503", GroupStatus{GroupID: 901}},
	{"get group membership all", "getGroupMembership", "00", GetGroupMembership{}},
	{"get group membership response", "getGroupMembershipRsp", "0a" + "02" + "0100" + "8503", GetGroupMembershipResponse{Capacity: 10, Groups: []uint16{1, 901}}},
	{"recall scene", "sceneRef", "0100" + "03", SceneRef{GroupID: 1, SceneID: 3}},
	{"recall scene with transition", "sceneRef", "0100" + "03" + "1400", SceneRef{GroupID: 1, SceneID: 3, HasTransitionTime: true, TransitionTime: 20}},
	{"store scene response", "sceneStatus", "00" + "0100" + "03", SceneStatus{GroupID: 1, SceneID: 3}},
	{"contact opened", "zoneStatusChange", "2100" + "00" + "00" + "0000", ZoneStatusChangeNotification{ZoneStatus: ZoneAlarm1 | ZoneRestoreReports}},
	{"contact closed, battery low, zone 5", "zoneStatusChange", "0800" + "00" + "05" + "0100", ZoneStatusChangeNotification{ZoneStatus: ZoneBatteryLow, ZoneID: 5, Delay: 1}},
	{"pre-ZCL6 short notification", "zoneStatusChange", "0100" + "00", ZoneStatusChangeNotification{ZoneStatus: ZoneAlarm1, Short: true}},
	{"zone enroll request contact", "zoneEnrollRequest", "1500" + "5f11", ZoneEnrollRequest{ZoneType: ZoneTypeContactSwitch, ManufacturerCode: 0x115F}},
	{"zone enroll response", "zoneEnrollResponse", "00" + "17", ZoneEnrollResponse{Code: EnrollSuccess, ZoneID: 23}},
	{"lock door no pin", "doorLock", "00", DoorLockCommand{}},
	{"unlock door pin 1234", "doorLock", "0431323334", DoorLockCommand{PIN: []byte("1234")}},
	{"lock door response", "doorLockResponse", "00", DoorLockResponse{}},
	{"go to 40 %", "goToPercentage", "28", GoToPercentage{Percent: 40}},
	{"setpoint lower 1 °C", "setpointRaiseLower", "00" + "f6", SetpointRaiseLower{Mode: 0, Amount: -10}},
	{"check-in response fast poll", "checkInResponse", "01" + "7800", CheckInResponse{StartFastPolling: true, FastPollTimeout: 120}},
	{"set long poll interval", "setLongPollInterval", "b0040000", SetLongPollInterval{Interval: 1200}},
	{"set short poll interval", "setShortPollInterval", "0200", SetShortPollInterval{Interval: 2}},
}

func TestCommandPayloads(t *testing.T) {
	for _, tt := range commandCases {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			got, err := commandParsers[tt.parser](b)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parse = %#v, want %#v", got, tt.want)
			}
			if enc := tt.want.AppendTo(nil); !bytes.Equal(enc, b) {
				t.Fatalf("encode = %x, want %x", enc, b)
			}
		})
	}
}

// TestTypedMatchesLibrary checks the typed payloads against the library's
// field lists: the generic decoder must accept what the typed encoder
// writes.
func TestTypedMatchesLibrary(t *testing.T) {
	tests := []struct {
		cluster uint16
		cmd     CommandID
		dir     Direction
		p       Payload
	}{
		{0x0006, CmdOnWithTimedOff, ClientToServer, OnWithTimedOff{OnTime: 10}},
		{0x0008, CmdMoveToLevelWithOnOff, ClientToServer, MoveToLevel{Level: 3, TransitionTime: 4}},
		{0x0008, CmdStep, ClientToServer, Step{Mode: MoveDown, StepSize: 1, TransitionTime: 2}},
		{0x0300, CmdMoveToColor, ClientToServer, MoveToColor{X: 1, Y: 2, TransitionTime: 3, Options: Options{Present: true}}},
		{0x0300, CmdMoveToColorTemp, ClientToServer, MoveToColorTemp{Mireds: 250}},
		{0x0300, CmdMoveToHueAndSaturation, ClientToServer, MoveToHueSat{Hue: 1, Saturation: 2}},
		{0x0300, CmdEnhancedMoveToHueAndSat, ClientToServer, EnhancedMoveToHueSat{Hue: 1, Saturation: 2}},
		{0x0500, CmdZoneStatusChangeNotification, ServerToClient, ZoneStatusChangeNotification{ZoneStatus: 1, ZoneID: 2, Delay: 3}},
		{0x0500, CmdZoneEnrollRequest, ServerToClient, ZoneEnrollRequest{ZoneType: ZoneTypeContactSwitch}},
		{0x0500, CmdZoneEnrollResponse, ClientToServer, ZoneEnrollResponse{ZoneID: 1}},
		{0x0101, CmdLockDoor, ClientToServer, DoorLockCommand{PIN: []byte("12")}},
		{0x0102, CmdWindowCoveringGoToLiftPct, ClientToServer, GoToPercentage{Percent: 50}},
		{0x0020, CmdPollCheckInResponse, ClientToServer, CheckInResponse{StartFastPolling: true, FastPollTimeout: 4}},
		{0x0020, CmdPollSetLongPollInterval, ClientToServer, SetLongPollInterval{Interval: 7}},
		{0x0004, CmdGroupsAdd, ClientToServer, GroupName{GroupID: 1, Name: "a"}},
		{0x0004, CmdGroupsGetMembershipResp, ServerToClient, GetGroupMembershipResponse{Capacity: 1, Groups: []uint16{2, 3}}},
	}
	for _, tt := range tests {
		c, _ := ClusterByID(clusterID(tt.cluster))
		cmd, ok := c.Command(tt.cmd, tt.dir)
		if !ok {
			t.Fatalf("%s: no command 0x%02X", c.Name, tt.cmd)
		}
		b := tt.p.AppendTo(nil)
		vals, err := cmd.Decode(b)
		if err != nil {
			t.Errorf("%s.%s: generic decode of %x: %v", c.Name, cmd.Name, b, err)
			continue
		}
		enc, err := cmd.Encode(vals...)
		if err != nil || !bytes.Equal(enc, b) {
			t.Errorf("%s.%s: generic re-encode = %x, %v; want %x", c.Name, cmd.Name, enc, err, b)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name, parser, hex string
		want              error
	}{
		{"move to level short", "moveToLevel", "fe0a", ErrTruncated},
		{"move to level one option byte", "moveToLevel", "fe0a0001", ErrTruncated},
		{"move to level trailing", "moveToLevel", "fe0a00010100", ErrTrailing},
		{"move to color short", "moveToColor", "1c502155", ErrTruncated},
		{"zone status 4 bytes", "zoneStatusChange", "21000000", ErrTruncated},
		{"zone status 2 bytes", "zoneStatusChange", "2100", ErrTruncated},
		{"group name past end", "groupName", "0100" + "05616263", ErrTruncated},
		{"group name null", "groupName", "0100" + "ff", ErrBadValue},
		{"group list past end", "getGroupMembershipRsp", "0a" + "03" + "0100", ErrTruncated},
		{"door lock empty", "doorLock", "", ErrTruncated},
		{"door lock null pin", "doorLock", "ff", ErrBadValue},
		{"check-in response bad bool", "checkInResponse", "02" + "7800", ErrBadValue},
		{"set long poll short", "setLongPollInterval", "b004", ErrTruncated},
		{"scene ref one extra byte", "sceneRef", "0100" + "03" + "14", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := commandParsers[tt.parser](unhex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestZoneStatus(t *testing.T) {
	s := ZoneAlarm1 | ZoneBatteryLow
	if !s.Has(ZoneAlarm1) || !s.Has(ZoneBatteryLow) || s.Has(ZoneTamper) || s.String() != "0x0009" {
		t.Fatalf("ZoneStatus %v", s)
	}
}

// FuzzClusterCommands runs every typed command decoder (the first byte
// picks it); a successful decode re-encodes byte for byte.
func FuzzClusterCommands(f *testing.F) {
	names := make([]string, 0, len(commandParsers))
	for n := range commandParsers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, c := range commandCases {
		for i, n := range names {
			if n == c.parser {
				f.Add(append([]byte{byte(i)}, unhex(f, c.hex)...))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		name := names[int(b[0])%len(names)]
		p, err := commandParsers[name](b[1:])
		if err != nil {
			return
		}
		if enc := p.AppendTo(nil); !bytes.Equal(enc, b[1:]) {
			t.Fatalf("%s: %x re-encodes as %x", name, b[1:], enc)
		}
	})
}
