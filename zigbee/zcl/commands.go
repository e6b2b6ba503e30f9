package zcl

import (
	"encoding/binary"
	"fmt"
)

// Typed payloads of the common cluster-specific commands. Each has
// AppendTo (Payload) and a ParseXxx function; decoders reject short and
// over-long payloads, and re-encode what they accept byte for byte.

// Options are the optional OptionsMask and OptionsOverride fields that ZCL 6
// appended to Level Control and Color Control commands; many devices omit
// them. Present says whether they are on the wire.
type Options struct {
	Present  bool
	Mask     uint8
	Override uint8
}

func (o Options) appendTo(dst []byte) []byte {
	if !o.Present {
		return dst
	}
	return append(dst, o.Mask, o.Override)
}

// options reads the trailing options if both bytes are there.
func (r *reader) options() Options {
	if r.err != nil || r.left() == 0 {
		return Options{}
	}
	return Options{Present: true, Mask: r.u8(), Override: r.u8()}
}

// result returns the zero value with a non-nil error, so a failed decode
// never hands back half a payload.
func result[T any](p T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return p, nil
}

// OffWithEffect is On/Off command 0x40.
type OffWithEffect struct {
	EffectID      uint8
	EffectVariant uint8
}

// AppendTo implements Payload.
func (p OffWithEffect) AppendTo(dst []byte) []byte { return append(dst, p.EffectID, p.EffectVariant) }

// ParseOffWithEffect decodes an off with effect payload.
func ParseOffWithEffect(b []byte) (OffWithEffect, error) {
	r := reader{b: b}
	p := OffWithEffect{EffectID: r.u8(), EffectVariant: r.u8()}
	return result(p, r.done("off with effect"))
}

// OnWithTimedOff is On/Off command 0x42. Times are in 1/10 s.
type OnWithTimedOff struct {
	OnOffControl uint8 // bit 0: accept only when on
	OnTime       uint16
	OffWaitTime  uint16
}

// AppendTo implements Payload.
func (p OnWithTimedOff) AppendTo(dst []byte) []byte {
	dst = append(dst, p.OnOffControl)
	dst = binary.LittleEndian.AppendUint16(dst, p.OnTime)
	return binary.LittleEndian.AppendUint16(dst, p.OffWaitTime)
}

// ParseOnWithTimedOff decodes an on with timed off payload.
func ParseOnWithTimedOff(b []byte) (OnWithTimedOff, error) {
	r := reader{b: b}
	p := OnWithTimedOff{OnOffControl: r.u8(), OnTime: r.u16(), OffWaitTime: r.u16()}
	return result(p, r.done("on with timed off"))
}

// MoveToLevel is Level Control command 0x00 and 0x04 (with on/off).
// TransitionTime is in 1/10 s; 0xFFFF means "use the device default".
type MoveToLevel struct {
	Level          uint8
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToLevel) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, p.Level), p.TransitionTime)
	return p.Options.appendTo(dst)
}

// ParseMoveToLevel decodes a move to level payload.
func ParseMoveToLevel(b []byte) (MoveToLevel, error) {
	r := reader{b: b}
	p := MoveToLevel{Level: r.u8(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to level"))
}

// MoveMode is the direction of a Level Control move or step.
type MoveMode uint8

// Move modes.
const (
	MoveUp   MoveMode = 0
	MoveDown MoveMode = 1
)

// Move is Level Control command 0x01 and 0x05. Rate is in units per
// second (0xFF = device default).
type Move struct {
	Mode    MoveMode
	Rate    uint8
	Options Options
}

// AppendTo implements Payload.
func (p Move) AppendTo(dst []byte) []byte {
	return p.Options.appendTo(append(dst, byte(p.Mode), p.Rate))
}

// ParseMove decodes a move payload.
func ParseMove(b []byte) (Move, error) {
	r := reader{b: b}
	p := Move{Mode: MoveMode(r.u8()), Rate: r.u8()}
	p.Options = r.options()
	return result(p, r.done("move"))
}

// Step is Level Control command 0x02 and 0x06.
type Step struct {
	Mode           MoveMode
	StepSize       uint8
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p Step) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, byte(p.Mode), p.StepSize), p.TransitionTime)
	return p.Options.appendTo(dst)
}

// ParseStep decodes a step payload.
func ParseStep(b []byte) (Step, error) {
	r := reader{b: b}
	p := Step{Mode: MoveMode(r.u8()), StepSize: r.u8(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("step"))
}

// Stop is Level Control command 0x03 and 0x07 (and Color Control stop
// move step, 0x47).
type Stop struct {
	Options Options
}

// AppendTo implements Payload.
func (p Stop) AppendTo(dst []byte) []byte { return p.Options.appendTo(dst) }

// ParseStop decodes a stop payload.
func ParseStop(b []byte) (Stop, error) {
	r := reader{b: b}
	p := Stop{Options: r.options()}
	return result(p, r.done("stop"))
}

// HueDirection is the way a move to hue goes round the colour wheel.
type HueDirection uint8

// Hue directions.
const (
	HueShortest HueDirection = 0
	HueLongest  HueDirection = 1
	HueUp       HueDirection = 2
	HueDown     HueDirection = 3
)

// MoveToHue is Color Control command 0x00 (hue 0–254).
type MoveToHue struct {
	Hue            uint8
	Direction      HueDirection
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToHue) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, p.Hue, byte(p.Direction)), p.TransitionTime)
	return p.Options.appendTo(dst)
}

// ParseMoveToHue decodes a move to hue payload.
func ParseMoveToHue(b []byte) (MoveToHue, error) {
	r := reader{b: b}
	p := MoveToHue{Hue: r.u8(), Direction: HueDirection(r.u8()), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to hue"))
}

// EnhancedMoveToHue is Color Control command 0x40 (16-bit hue).
type EnhancedMoveToHue struct {
	Hue            uint16
	Direction      HueDirection
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p EnhancedMoveToHue) AppendTo(dst []byte) []byte {
	dst = append(binary.LittleEndian.AppendUint16(dst, p.Hue), byte(p.Direction))
	return p.Options.appendTo(binary.LittleEndian.AppendUint16(dst, p.TransitionTime))
}

// ParseEnhancedMoveToHue decodes an enhanced move to hue payload.
func ParseEnhancedMoveToHue(b []byte) (EnhancedMoveToHue, error) {
	r := reader{b: b}
	p := EnhancedMoveToHue{Hue: r.u16(), Direction: HueDirection(r.u8()), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("enhanced move to hue"))
}

// MoveToSaturation is Color Control command 0x03 (saturation 0–254).
type MoveToSaturation struct {
	Saturation     uint8
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToSaturation) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, p.Saturation), p.TransitionTime)
	return p.Options.appendTo(dst)
}

// ParseMoveToSaturation decodes a move to saturation payload.
func ParseMoveToSaturation(b []byte) (MoveToSaturation, error) {
	r := reader{b: b}
	p := MoveToSaturation{Saturation: r.u8(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to saturation"))
}

// MoveToHueSat is Color Control command 0x06.
type MoveToHueSat struct {
	Hue            uint8
	Saturation     uint8
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToHueSat) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, p.Hue, p.Saturation), p.TransitionTime)
	return p.Options.appendTo(dst)
}

// ParseMoveToHueSat decodes a move to hue and saturation payload.
func ParseMoveToHueSat(b []byte) (MoveToHueSat, error) {
	r := reader{b: b}
	p := MoveToHueSat{Hue: r.u8(), Saturation: r.u8(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to hue and saturation"))
}

// EnhancedMoveToHueSat is Color Control command 0x43.
type EnhancedMoveToHueSat struct {
	Hue            uint16
	Saturation     uint8
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p EnhancedMoveToHueSat) AppendTo(dst []byte) []byte {
	dst = append(binary.LittleEndian.AppendUint16(dst, p.Hue), p.Saturation)
	return p.Options.appendTo(binary.LittleEndian.AppendUint16(dst, p.TransitionTime))
}

// ParseEnhancedMoveToHueSat decodes an enhanced move to hue and saturation
// payload.
func ParseEnhancedMoveToHueSat(b []byte) (EnhancedMoveToHueSat, error) {
	r := reader{b: b}
	p := EnhancedMoveToHueSat{Hue: r.u16(), Saturation: r.u8(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("enhanced move to hue and saturation"))
}

// MoveToColor is Color Control command 0x07: CIE 1931 x and y scaled by
// 65536 (0–0xFEFF).
type MoveToColor struct {
	X, Y           uint16
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToColor) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, p.X)
	dst = binary.LittleEndian.AppendUint16(dst, p.Y)
	return p.Options.appendTo(binary.LittleEndian.AppendUint16(dst, p.TransitionTime))
}

// ParseMoveToColor decodes a move to color payload.
func ParseMoveToColor(b []byte) (MoveToColor, error) {
	r := reader{b: b}
	p := MoveToColor{X: r.u16(), Y: r.u16(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to color"))
}

// MoveToColorTemp is Color Control command 0x0A; Mireds = 1e6 / kelvin.
type MoveToColorTemp struct {
	Mireds         uint16
	TransitionTime uint16
	Options        Options
}

// AppendTo implements Payload.
func (p MoveToColorTemp) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, p.Mireds)
	return p.Options.appendTo(binary.LittleEndian.AppendUint16(dst, p.TransitionTime))
}

// ParseMoveToColorTemp decodes a move to color temperature payload.
func ParseMoveToColorTemp(b []byte) (MoveToColorTemp, error) {
	r := reader{b: b}
	p := MoveToColorTemp{Mireds: r.u16(), TransitionTime: r.u16()}
	p.Options = r.options()
	return result(p, r.done("move to color temperature"))
}

// Identify is Identify command 0x00; Time is in seconds (0 stops).
type Identify struct {
	Time uint16
}

// AppendTo implements Payload.
func (p Identify) AppendTo(dst []byte) []byte { return binary.LittleEndian.AppendUint16(dst, p.Time) }

// ParseIdentify decodes an identify payload.
func ParseIdentify(b []byte) (Identify, error) {
	r := reader{b: b}
	p := Identify{Time: r.u16()}
	return result(p, r.done("identify"))
}

// GroupName is the add group command (0x00) and add group if identifying
// (0x05). Name is empty unless the device supports group names.
type GroupName struct {
	GroupID uint16
	Name    string
}

// AppendTo implements Payload.
func (p GroupName) AppendTo(dst []byte) []byte {
	return CharString(p.Name).AppendTo(binary.LittleEndian.AppendUint16(dst, p.GroupID))
}

// ParseGroupName decodes an add group payload.
func ParseGroupName(b []byte) (GroupName, error) {
	r := reader{b: b}
	p := GroupName{GroupID: r.u16()}
	v := r.value(TypeCharString)
	if r.err == nil && v.IsInvalid() {
		r.fail(ErrBadValue) // a null name would not re-encode
	}
	p.Name = string(v.Bytes())
	return result(p, r.done("add group"))
}

// GroupID is the payload of view group (0x01) and remove group (0x03).
type GroupID struct {
	GroupID uint16
}

// AppendTo implements Payload.
func (p GroupID) AppendTo(dst []byte) []byte { return binary.LittleEndian.AppendUint16(dst, p.GroupID) }

// ParseGroupID decodes a group id payload.
func ParseGroupID(b []byte) (GroupID, error) {
	r := reader{b: b}
	p := GroupID{GroupID: r.u16()}
	return result(p, r.done("group id"))
}

// GroupStatus is the add group (0x00) and remove group (0x03) response.
type GroupStatus struct {
	Status  Status
	GroupID uint16
}

// AppendTo implements Payload.
func (p GroupStatus) AppendTo(dst []byte) []byte {
	return binary.LittleEndian.AppendUint16(append(dst, byte(p.Status)), p.GroupID)
}

// ParseGroupStatus decodes an add/remove group response.
func ParseGroupStatus(b []byte) (GroupStatus, error) {
	r := reader{b: b}
	p := GroupStatus{Status: Status(r.u8()), GroupID: r.u16()}
	return result(p, r.done("group response"))
}

// GetGroupMembership is Groups command 0x02; an empty list asks for all
// groups.
type GetGroupMembership struct {
	Groups []uint16
}

// AppendTo implements Payload.
func (p GetGroupMembership) AppendTo(dst []byte) []byte { return appendGroupList(dst, p.Groups) }

// ParseGetGroupMembership decodes a get group membership payload.
func ParseGetGroupMembership(b []byte) (GetGroupMembership, error) {
	r := reader{b: b}
	p := GetGroupMembership{Groups: r.groupList()}
	return result(p, r.done("get group membership"))
}

// GetGroupMembershipResponse is Groups response 0x02. Capacity is how
// many more groups fit (0xFE = at least one, 0xFF = unknown).
type GetGroupMembershipResponse struct {
	Capacity uint8
	Groups   []uint16
}

// AppendTo implements Payload.
func (p GetGroupMembershipResponse) AppendTo(dst []byte) []byte {
	return appendGroupList(append(dst, p.Capacity), p.Groups)
}

// ParseGetGroupMembershipResponse decodes a get group membership response.
func ParseGetGroupMembershipResponse(b []byte) (GetGroupMembershipResponse, error) {
	r := reader{b: b}
	p := GetGroupMembershipResponse{Capacity: r.u8()}
	p.Groups = r.groupList()
	return result(p, r.done("get group membership response"))
}

func appendGroupList(dst []byte, groups []uint16) []byte {
	groups = groups[:min(len(groups), 255)]
	dst = append(dst, byte(len(groups)))
	for _, g := range groups {
		dst = binary.LittleEndian.AppendUint16(dst, g)
	}
	return dst
}

func (r *reader) groupList() []uint16 {
	n := int(r.u8())
	if r.err != nil {
		return nil
	}
	if 2*n > r.left() {
		r.fail(ErrTruncated)
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = r.u16()
	}
	return out
}

// SceneRef is the payload of view (0x01), remove (0x02), store (0x04) and
// recall (0x05) scene. Recall may carry a transition time (ZCL 7);
// TransitionTime is sent when HasTransitionTime is set.
type SceneRef struct {
	GroupID           uint16
	SceneID           uint8
	HasTransitionTime bool
	TransitionTime    uint16
}

// AppendTo implements Payload.
func (p SceneRef) AppendTo(dst []byte) []byte {
	dst = append(binary.LittleEndian.AppendUint16(dst, p.GroupID), p.SceneID)
	if p.HasTransitionTime {
		dst = binary.LittleEndian.AppendUint16(dst, p.TransitionTime)
	}
	return dst
}

// ParseSceneRef decodes a scene reference payload.
func ParseSceneRef(b []byte) (SceneRef, error) {
	r := reader{b: b}
	p := SceneRef{GroupID: r.u16(), SceneID: r.u8()}
	if r.err == nil && r.left() > 0 {
		p.HasTransitionTime, p.TransitionTime = true, r.u16()
	}
	return result(p, r.done("scene"))
}

// SceneStatus is the remove (0x02) and store (0x04) scene response.
type SceneStatus struct {
	Status  Status
	GroupID uint16
	SceneID uint8
}

// AppendTo implements Payload.
func (p SceneStatus) AppendTo(dst []byte) []byte {
	return append(binary.LittleEndian.AppendUint16(append(dst, byte(p.Status)), p.GroupID), p.SceneID)
}

// ParseSceneStatus decodes a scene response.
func ParseSceneStatus(b []byte) (SceneStatus, error) {
	r := reader{b: b}
	p := SceneStatus{Status: Status(r.u8()), GroupID: r.u16(), SceneID: r.u8()}
	return result(p, r.done("scene response"))
}

// ZoneStatus is the IAS Zone status bitmap (ZCL §8.2.2.2.1.3).
type ZoneStatus uint16

// Zone status bits.
const (
	ZoneAlarm1             ZoneStatus = 1 << 0 // opened / motion / alarm
	ZoneAlarm2             ZoneStatus = 1 << 1
	ZoneTamper             ZoneStatus = 1 << 2
	ZoneBatteryLow         ZoneStatus = 1 << 3
	ZoneSupervisionReports ZoneStatus = 1 << 4
	ZoneRestoreReports     ZoneStatus = 1 << 5
	ZoneTrouble            ZoneStatus = 1 << 6
	ZoneACMains            ZoneStatus = 1 << 7 // AC mains fault
	ZoneTest               ZoneStatus = 1 << 8
	ZoneBatteryDefect      ZoneStatus = 1 << 9
)

// Has reports whether all bits of f are set.
func (s ZoneStatus) Has(f ZoneStatus) bool { return s&f == f }

func (s ZoneStatus) String() string { return fmt.Sprintf("0x%04X", uint16(s)) }

// IAS zone types (ZCL Table 8-5).
const (
	ZoneTypeStandardCIE       uint16 = 0x0000
	ZoneTypeMotionSensor      uint16 = 0x000D
	ZoneTypeContactSwitch     uint16 = 0x0015
	ZoneTypeFireSensor        uint16 = 0x0028
	ZoneTypeWaterSensor       uint16 = 0x002A
	ZoneTypeCOSensor          uint16 = 0x002B
	ZoneTypePersonalEmergency uint16 = 0x002C
	ZoneTypeVibration         uint16 = 0x002D
	ZoneTypeRemoteControl     uint16 = 0x010F
	ZoneTypeKeyFob            uint16 = 0x0115
	ZoneTypeKeypad            uint16 = 0x021D
	ZoneTypeWarningDevice     uint16 = 0x0225
)

// ZoneStatusChangeNotification is IAS Zone command 0x00, server to client.
// Devices built before ZCL 6 send only the zone status and extended status
// (Short set); ZoneID and Delay (quarter seconds) follow otherwise.
type ZoneStatusChangeNotification struct {
	ZoneStatus     ZoneStatus
	ExtendedStatus uint8
	ZoneID         uint8
	Delay          uint16
	Short          bool
}

// AppendTo implements Payload.
func (p ZoneStatusChangeNotification) AppendTo(dst []byte) []byte {
	dst = append(binary.LittleEndian.AppendUint16(dst, uint16(p.ZoneStatus)), p.ExtendedStatus)
	if p.Short {
		return dst
	}
	return binary.LittleEndian.AppendUint16(append(dst, p.ZoneID), p.Delay)
}

// ParseZoneStatusChangeNotification decodes a zone status change
// notification (3 or 6 bytes).
func ParseZoneStatusChangeNotification(b []byte) (ZoneStatusChangeNotification, error) {
	r := reader{b: b}
	p := ZoneStatusChangeNotification{ZoneStatus: ZoneStatus(r.u16()), ExtendedStatus: r.u8()}
	if r.err == nil && r.left() == 0 {
		p.Short = true
	} else {
		p.ZoneID, p.Delay = r.u8(), r.u16()
	}
	return result(p, r.done("zone status change notification"))
}

// ZoneEnrollRequest is IAS Zone command 0x01, server to client.
type ZoneEnrollRequest struct {
	ZoneType         uint16
	ManufacturerCode uint16
}

// AppendTo implements Payload.
func (p ZoneEnrollRequest) AppendTo(dst []byte) []byte {
	return binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(dst, p.ZoneType), p.ManufacturerCode)
}

// ParseZoneEnrollRequest decodes a zone enroll request.
func ParseZoneEnrollRequest(b []byte) (ZoneEnrollRequest, error) {
	r := reader{b: b}
	p := ZoneEnrollRequest{ZoneType: r.u16(), ManufacturerCode: r.u16()}
	return result(p, r.done("zone enroll request"))
}

// Zone enroll response codes.
const (
	EnrollSuccess      uint8 = 0x00
	EnrollNotSupported uint8 = 0x01
	EnrollNoPermit     uint8 = 0x02
	EnrollTooManyZones uint8 = 0x03
)

// ZoneEnrollResponse is IAS Zone command 0x00, client to server.
type ZoneEnrollResponse struct {
	Code   uint8
	ZoneID uint8
}

// AppendTo implements Payload.
func (p ZoneEnrollResponse) AppendTo(dst []byte) []byte { return append(dst, p.Code, p.ZoneID) }

// ParseZoneEnrollResponse decodes a zone enroll response.
func ParseZoneEnrollResponse(b []byte) (ZoneEnrollResponse, error) {
	r := reader{b: b}
	p := ZoneEnrollResponse{Code: r.u8(), ZoneID: r.u8()}
	return result(p, r.done("zone enroll response"))
}

// DoorLockCommand is the payload of lock (0x00), unlock (0x01) and toggle
// (0x02) door: an optional PIN as an octet string (empty when not used).
type DoorLockCommand struct {
	PIN []byte
}

// AppendTo implements Payload.
func (p DoorLockCommand) AppendTo(dst []byte) []byte {
	return OctetString(p.PIN).AppendTo(dst)
}

// ParseDoorLockCommand decodes a lock/unlock/toggle payload. An empty
// payload is not accepted: the PIN field is mandatory even when empty.
func ParseDoorLockCommand(b []byte) (DoorLockCommand, error) {
	r := reader{b: b}
	v := r.value(TypeOctetString)
	var p DoorLockCommand
	if len(v.Bytes()) > 0 {
		p.PIN = v.Bytes()
	}
	if r.err == nil && v.IsInvalid() {
		r.fail(ErrBadValue) // a null PIN would not re-encode
	}
	return result(p, r.done("door lock command"))
}

// DoorLockResponse is the lock/unlock/toggle door response.
type DoorLockResponse struct {
	Status Status
}

// AppendTo implements Payload.
func (p DoorLockResponse) AppendTo(dst []byte) []byte { return append(dst, byte(p.Status)) }

// ParseDoorLockResponse decodes a door lock response.
func ParseDoorLockResponse(b []byte) (DoorLockResponse, error) {
	r := reader{b: b}
	p := DoorLockResponse{Status: Status(r.u8())}
	return result(p, r.done("door lock response"))
}

// GoToPercentage is Window Covering go to lift (0x05) or tilt (0x08)
// percentage.
type GoToPercentage struct {
	Percent uint8
}

// AppendTo implements Payload.
func (p GoToPercentage) AppendTo(dst []byte) []byte { return append(dst, p.Percent) }

// ParseGoToPercentage decodes a go to percentage payload.
func ParseGoToPercentage(b []byte) (GoToPercentage, error) {
	r := reader{b: b}
	p := GoToPercentage{Percent: r.u8()}
	return result(p, r.done("go to percentage"))
}

// SetpointRaiseLower is Thermostat command 0x00. Amount is in 0.1 °C.
type SetpointRaiseLower struct {
	Mode   uint8 // 0 heat, 1 cool, 2 both
	Amount int8
}

// AppendTo implements Payload.
func (p SetpointRaiseLower) AppendTo(dst []byte) []byte { return append(dst, p.Mode, byte(p.Amount)) }

// ParseSetpointRaiseLower decodes a setpoint raise/lower payload.
func ParseSetpointRaiseLower(b []byte) (SetpointRaiseLower, error) {
	r := reader{b: b}
	p := SetpointRaiseLower{Mode: r.u8(), Amount: int8(r.u8())}
	return result(p, r.done("setpoint raise lower"))
}

// CheckInResponse is Poll Control command 0x00, client to server.
// FastPollTimeout is in quarter seconds.
type CheckInResponse struct {
	StartFastPolling bool
	FastPollTimeout  uint16
}

// AppendTo implements Payload.
func (p CheckInResponse) AppendTo(dst []byte) []byte {
	return binary.LittleEndian.AppendUint16(append(dst, boolByte(p.StartFastPolling)), p.FastPollTimeout)
}

// ParseCheckInResponse decodes a check-in response.
func ParseCheckInResponse(b []byte) (CheckInResponse, error) {
	r := reader{b: b}
	p := CheckInResponse{StartFastPolling: r.flag(), FastPollTimeout: r.u16()}
	return result(p, r.done("check-in response"))
}

// SetLongPollInterval is Poll Control command 0x02 (quarter seconds).
type SetLongPollInterval struct {
	Interval uint32
}

// AppendTo implements Payload.
func (p SetLongPollInterval) AppendTo(dst []byte) []byte {
	return binary.LittleEndian.AppendUint32(dst, p.Interval)
}

// ParseSetLongPollInterval decodes a set long poll interval payload.
func ParseSetLongPollInterval(b []byte) (SetLongPollInterval, error) {
	r := reader{b: b}
	p := SetLongPollInterval{Interval: uint32(r.value(TypeUint32).Uint())}
	return result(p, r.done("set long poll interval"))
}

// SetShortPollInterval is Poll Control command 0x03 (quarter seconds).
type SetShortPollInterval struct {
	Interval uint16
}

// AppendTo implements Payload.
func (p SetShortPollInterval) AppendTo(dst []byte) []byte {
	return binary.LittleEndian.AppendUint16(dst, p.Interval)
}

// ParseSetShortPollInterval decodes a set short poll interval payload.
func ParseSetShortPollInterval(b []byte) (SetShortPollInterval, error) {
	r := reader{b: b}
	p := SetShortPollInterval{Interval: r.u16()}
	return result(p, r.done("set short poll interval"))
}
