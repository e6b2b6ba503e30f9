package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// Kind selects a virtual device model.
type Kind string

// Device kinds.
const (
	KindLight      Kind = "light"       // on/off light (router)
	KindDimmable   Kind = "dimmable"    // dimmable light (router)
	KindColorLight Kind = "color_light" // extended colour light: colour temperature, xy, hue/saturation (router)
	KindPlug       Kind = "plug"        // smart plug with metering and electrical measurement (router)
	KindTHSensor   Kind = "th_sensor"   // temperature + humidity sensor, periodic reports (end device)
	KindContact    Kind = "contact"     // IAS zone door contact (end device)
	KindRemote     Kind = "remote"      // battery remote, sleepy end device: reachable only when it polls
)

// Kinds lists every device kind.
func Kinds() []Kind {
	return []Kind{KindLight, KindDimmable, KindColorLight, KindPlug, KindTHSensor, KindContact, KindRemote}
}

// DeviceSpec describes a virtual device to create. A zero IEEE picks a
// random address with the model's vendor prefix.
type DeviceSpec struct {
	Kind Kind
	IEEE zigbee.IEEE
}

// DefaultDevices is the population of the embedded default network: one
// of each kind and a spare on/off light, with fixed addresses so that a
// restarted sim finds the same devices.
func DefaultDevices() []DeviceSpec {
	return []DeviceSpec{
		{Kind: KindColorLight, IEEE: 0x0017880100a1c001},
		{Kind: KindDimmable, IEEE: 0x000b57fffea1c002},
		{Kind: KindPlug, IEEE: 0x842e14fffea1c003},
		{Kind: KindTHSensor, IEEE: 0x00124b00a1c00004},
		{Kind: KindContact, IEEE: 0x00124b00a1c00005},
		{Kind: KindRemote, IEEE: 0x000b57fffea1c006},
		{Kind: KindLight, IEEE: 0x00124b00a1c00007},
	}
}

// ZCL cluster ids used by the models.
const (
	clBasic       = 0x0000
	clPowerCfg    = 0x0001
	clIdentify    = 0x0003
	clGroups      = 0x0004
	clScenes      = 0x0005
	clOnOff       = 0x0006
	clLevel       = 0x0008
	clOTA         = 0x0019
	clPollCtrl    = 0x0020
	clColor       = 0x0300
	clTemperature = 0x0402
	clHumidity    = 0x0405
	clIASZone     = 0x0500
	clMetering    = 0x0702
	clElectrical  = 0x0B04
	clTouchlink   = 0x1000
)

// model is the static part of a device kind.
type model struct {
	manufacturer string
	modelID      string
	mfrCode      uint16
	oui          uint64 // top 3 bytes of random IEEE addresses
	swBuild      string
	dateCode     string
	router       bool // mains powered, receiver on, routes
	sleepy       bool // only reachable when it polls
	powerSource  uint8
	deviceID     uint16
	in, out      []uint16
}

var models = map[Kind]model{
	KindLight: {manufacturer: "SONOFF", modelID: "ZBMINIL2", mfrCode: 0x1286, oui: 0x00124b,
		swBuild: "1.0.4", dateCode: "20230215", router: true, powerSource: 1, deviceID: 0x0100,
		in: []uint16{clBasic, clIdentify, clGroups, clScenes, clOnOff}, out: []uint16{clOTA}},
	KindDimmable: {manufacturer: "IKEA of Sweden", modelID: "TRADFRI bulb E27 WW 806lm", mfrCode: 0x117C, oui: 0x000b57,
		swBuild: "2.3.093", dateCode: "20221019", router: true, powerSource: 1, deviceID: 0x0101,
		in: []uint16{clBasic, clIdentify, clGroups, clScenes, clOnOff, clLevel, clTouchlink}, out: []uint16{clOTA}},
	KindColorLight: {manufacturer: "Signify Netherlands B.V.", modelID: "LCA001", mfrCode: 0x100B, oui: 0x001788,
		swBuild: "1.104.2", dateCode: "20221108", router: true, powerSource: 1, deviceID: 0x010D,
		in: []uint16{clBasic, clIdentify, clGroups, clScenes, clOnOff, clLevel, clColor, clTouchlink}, out: []uint16{clOTA}},
	KindPlug: {manufacturer: "innr", modelID: "SP 234", mfrCode: 0x1166, oui: 0x842e14,
		swBuild: "2.1", dateCode: "20220512", router: true, powerSource: 1, deviceID: 0x010A,
		in: []uint16{clBasic, clIdentify, clGroups, clScenes, clOnOff, clMetering, clElectrical}, out: []uint16{clOTA}},
	KindTHSensor: {manufacturer: "SONOFF", modelID: "SNZB-02D", mfrCode: 0x1286, oui: 0x00124b,
		swBuild: "1.0.7", dateCode: "20230607", powerSource: 3, deviceID: 0x0302,
		in: []uint16{clBasic, clPowerCfg, clIdentify, clTemperature, clHumidity}, out: []uint16{clOTA}},
	KindContact: {manufacturer: "SONOFF", modelID: "SNZB-04", mfrCode: 0x1286, oui: 0x00124b,
		swBuild: "1.0.5", dateCode: "20220824", powerSource: 3, deviceID: 0x0402,
		in: []uint16{clBasic, clPowerCfg, clIdentify, clIASZone}, out: []uint16{clOTA}},
	KindRemote: {manufacturer: "IKEA of Sweden", modelID: "TRADFRI on/off switch", mfrCode: 0x117C, oui: 0x000b57,
		swBuild: "24.4.5", dateCode: "20210308", sleepy: true, powerSource: 3, deviceID: 0x0820,
		in:  []uint16{clBasic, clPowerCfg, clIdentify, clPollCtrl, clTouchlink},
		out: []uint16{clIdentify, clGroups, clOnOff, clLevel, clOTA, clTouchlink}},
}

// attr is one attribute of a device cluster.
type attr struct {
	typ      uint8
	val      zval
	writable bool
	rep      *reporting
}

// reporting is a configured attribute report (ZCL 8 §2.5.7).
type reporting struct {
	min, max uint16
	change   int64
	last     zval
	lastAt   time.Time
	sent     bool
	gen      uint64 // invalidates scheduled reports when reconfigured
}

type endpoint struct {
	id      uint8
	profile uint16
	devID   uint16
	in, out []uint16
	attrs   map[uint16]map[uint16]*attr // cluster → attribute
	groups  map[uint16]bool
}

type binding struct {
	srcEp   uint8
	cluster uint16
	mode    uint8 // 1 group, 3 IEEE
	group   uint16
	dst     zigbee.IEEE
	dstEp   uint8
}

// device is a virtual Zigbee node. All fields are owned by the network loop.
type device struct {
	kind     Kind
	model    model
	ieee     zigbee.IEEE
	nwk      zigbee.NWK
	joined   bool
	extPAN   zigbee.ExtPANID // network the device is a member of
	pan      zigbee.PANID
	key      [16]byte // network key the device was given when it joined
	parent   zigbee.NWK
	lqi      uint8
	eps      []*endpoint
	bindings []binding
	tsn      uint8
	pressed  bool // the join button was pressed; joins once permit join is open

	awakeUntil time.Time   // sleepy: polls fast until then
	indirect   []*indirect // sleepy: frames waiting for the next poll
	pollGen    uint64
	identify   uint64 // generation of the identify timer
	sensorGen  uint64
	permitEnd  time.Time // routers: local permit-join window
}

type indirect struct {
	deliver func()
	expired bool
	done    bool
}

func (d *device) ep(id uint8) *endpoint {
	for _, e := range d.eps {
		if e.id == id {
			return e
		}
	}
	return nil
}

func (d *device) attr(ep uint8, cluster, id uint16) *attr {
	e := d.ep(ep)
	if e == nil {
		return nil
	}
	return e.attrs[cluster][id]
}

// rxOn reports whether the device's receiver is on when idle.
func (d *device) rxOn() bool { return d.model.router }

func (d *device) nextTSN() uint8 {
	d.tsn++
	return d.tsn
}

// capabilities is the MAC capability byte of the announce (protocol/znp.md
// §5.5 C1): routers 0x8E, end devices 0x80.
func (d *device) capabilities() uint8 {
	if d.model.router {
		return 0x8E
	}
	return 0x80
}

// nodeDescriptor is the 13-byte node descriptor (§7.4).
func (d *device) nodeDescriptor() []byte {
	var b buf
	if d.model.router {
		b.u8(0x01)
	} else {
		b.u8(0x02)
	}
	b.u8(0x40) // 2.4 GHz
	b.u8(d.capabilities())
	b.u16(d.model.mfrCode)
	b.u8(82)      // max buffer size
	b.u16(82)     // max incoming transfer
	b.u16(0x2C00) // server mask: stack compliance revision 22
	b.u16(82)     // max outgoing transfer
	b.u8(0x00)    // descriptor capabilities
	return b
}

func (e *endpoint) simpleDescriptor() []byte {
	var b buf
	b.u8(e.id).u16(e.profile).u16(e.devID).u8(1)
	b.u8(uint8(len(e.in)))
	for _, c := range e.in {
		b.u16(c)
	}
	b.u8(uint8(len(e.out)))
	for _, c := range e.out {
		b.u16(c)
	}
	return b
}

func newDevice(spec DeviceSpec, ieee zigbee.IEEE) (*device, error) {
	m, ok := models[spec.Kind]
	if !ok {
		return nil, fmt.Errorf("sim: device kind %q: %w", spec.Kind, ErrUnknownKind)
	}
	d := &device{kind: spec.Kind, model: m, ieee: ieee, nwk: zigbee.NWKInvalid, lqi: 150}
	e := &endpoint{id: 1, profile: uint16(zigbee.ProfileHA), devID: m.deviceID,
		in: slices.Clone(m.in), out: slices.Clone(m.out),
		attrs: map[uint16]map[uint16]*attr{}, groups: map[uint16]bool{}}
	for _, c := range m.in {
		e.attrs[c] = defaultAttrs(m, c)
	}
	d.eps = []*endpoint{e}
	return d, nil
}

func ro(t uint8, n int64) *attr { return &attr{typ: t, val: zval{n: n}} }
func rw(t uint8, n int64) *attr { return &attr{typ: t, val: zval{n: n}, writable: true} }
func str(s string) *attr        { return &attr{typ: zCharStr, val: zval{s: s}} }
func withRep(a *attr, min, max uint16, change int64) *attr {
	a.rep = &reporting{min: min, max: max, change: change, last: a.val}
	return a
}

// defaultAttrs returns the attributes of cluster c with their power-on
// values. Change-only reporting is preconfigured for the attributes real
// devices report out of the box.
func defaultAttrs(m model, c uint16) map[uint16]*attr {
	switch c {
	case clBasic:
		return map[uint16]*attr{
			0x0000: ro(zUint8, 8), 0x0001: ro(zUint8, 1), 0x0002: ro(zUint8, 2), 0x0003: ro(zUint8, 1),
			0x0004: str(m.manufacturer), 0x0005: str(m.modelID), 0x0006: str(m.dateCode),
			0x0007: ro(zEnum8, int64(m.powerSource)), 0x4000: str(m.swBuild),
		}
	case clPowerCfg:
		return map[uint16]*attr{
			0x0020: ro(zUint8, 30),                           // 3.0 V
			0x0021: withRep(ro(zUint8, 200), 3600, 43200, 2), // 100 %
		}
	case clIdentify:
		return map[uint16]*attr{0x0000: rw(zUint16, 0)}
	case clGroups:
		return map[uint16]*attr{0x0000: ro(zMap8, 0)}
	case clScenes:
		return map[uint16]*attr{
			0x0000: ro(zUint8, 0), 0x0001: ro(zUint8, 0), 0x0002: ro(zUint16, 0),
			0x0003: ro(zBool, 0), 0x0004: ro(zMap8, 0),
		}
	case clOnOff:
		return map[uint16]*attr{
			0x0000: withRep(ro(zBool, 0), 0, 0, 0),
			0x4000: ro(zBool, 1), 0x4001: rw(zUint16, 0), 0x4002: rw(zUint16, 0), 0x4003: rw(zEnum8, 0xFF),
		}
	case clLevel:
		return map[uint16]*attr{
			0x0000: withRep(ro(zUint8, 254), 1, 0, 1), 0x0001: ro(zUint16, 0),
			0x0002: ro(zUint8, 1), 0x0003: ro(zUint8, 254), 0x000F: rw(zMap8, 0),
			0x0010: rw(zUint16, 0), 0x0011: rw(zUint8, 0xFF), 0x4000: rw(zUint8, 0xFF),
		}
	case clColor:
		return map[uint16]*attr{
			0x0000: ro(zUint8, 0), 0x0001: ro(zUint8, 0), 0x0002: ro(zUint16, 0),
			0x0003: withRep(ro(zUint16, 0x5E7A), 1, 0, 1), 0x0004: withRep(ro(zUint16, 0x5A2F), 1, 0, 1),
			0x0007: withRep(ro(zUint16, 370), 1, 0, 1), 0x0008: ro(zEnum8, 2), 0x000F: rw(zMap8, 0),
			0x4001: ro(zEnum8, 2), 0x400A: ro(zMap16, 0x0019),
			0x400B: ro(zUint16, 153), 0x400C: ro(zUint16, 500), 0x4010: rw(zUint16, 0xFFFF),
		}
	case clMetering:
		return map[uint16]*attr{
			0x0000: withRep(ro(zUint48, 1234), 10, 3600, 10), 0x0300: ro(zEnum8, 0),
			0x0301: ro(zUint24, 1), 0x0302: ro(zUint24, 1000), 0x0303: ro(zMap8, 0x2B),
			0x0306: ro(zMap8, 0), 0x0400: ro(zInt24, 0),
		}
	case clElectrical:
		return map[uint16]*attr{
			0x0000: ro(zMap32, 0x00000009), 0x0505: withRep(ro(zUint16, 230), 10, 3600, 2),
			0x0508: withRep(ro(zUint16, 0), 10, 3600, 10), 0x050B: withRep(ro(zInt16, 0), 5, 3600, 1),
			0x0600: ro(zUint16, 1), 0x0601: ro(zUint16, 1), 0x0602: ro(zUint16, 1),
			0x0603: ro(zUint16, 1000), 0x0604: ro(zUint16, 1), 0x0605: ro(zUint16, 1),
		}
	case clTemperature:
		return map[uint16]*attr{
			0x0000: withRep(ro(zInt16, 2150), 0, 3600, 10), 0x0001: ro(zInt16, -4000), 0x0002: ro(zInt16, 12500),
		}
	case clHumidity:
		return map[uint16]*attr{
			0x0000: withRep(ro(zUint16, 4500), 0, 3600, 100), 0x0001: ro(zUint16, 0), 0x0002: ro(zUint16, 10000),
		}
	case clIASZone:
		return map[uint16]*attr{
			0x0000: ro(zEnum8, 0), 0x0001: ro(zEnum16, 0x0015), 0x0002: ro(zMap16, 0),
			0x0010: rw(zEUI64, 0), 0x0011: ro(zUint8, 0xFF),
		}
	case clPollCtrl:
		return map[uint16]*attr{
			0x0000: rw(zUint32, 14400), 0x0001: ro(zUint32, 20), 0x0002: rw(zUint16, 2),
		}
	}
	return map[uint16]*attr{}
}

// DeviceInfo is a snapshot of a virtual device.
type DeviceInfo struct {
	Kind   Kind
	IEEE   zigbee.IEEE
	NWK    zigbee.NWK
	Joined bool
	// OnOff, Level and ColorTemp are the light/plug state (zero when the
	// device has no such cluster).
	OnOff     bool
	Level     uint8
	ColorTemp uint16
	// Attrs holds every attribute value on endpoint 1, keyed by
	// cluster<<16 | attribute; integers as int64, strings as string.
	Attrs map[uint32]any
	// Groups holds the group ids in each endpoint's Groups cluster table,
	// sorted, for the endpoints that are in a group.
	Groups map[uint8][]uint16
}

func (d *device) info(joined bool) DeviceInfo {
	in := DeviceInfo{Kind: d.kind, IEEE: d.ieee, NWK: d.nwk, Joined: joined, Attrs: map[uint32]any{}}
	if a := d.attr(1, clOnOff, 0); a != nil {
		in.OnOff = a.val.n != 0
	}
	if a := d.attr(1, clLevel, 0); a != nil {
		in.Level = uint8(a.val.n)
	}
	if a := d.attr(1, clColor, 7); a != nil {
		in.ColorTemp = uint16(a.val.n)
	}
	for _, ep := range d.eps {
		if len(ep.groups) > 0 {
			if in.Groups == nil {
				in.Groups = map[uint8][]uint16{}
			}
			in.Groups[ep.id] = slices.Sorted(maps.Keys(ep.groups))
		}
	}
	e := d.ep(1)
	for _, c := range slices.Sorted(maps.Keys(e.attrs)) {
		for id, a := range e.attrs[c] {
			k := uint32(c)<<16 | uint32(id)
			if a.typ == zCharStr {
				in.Attrs[k] = a.val.s
			} else {
				in.Attrs[k] = a.val.n
			}
		}
	}
	return in
}
