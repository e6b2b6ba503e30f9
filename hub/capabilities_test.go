package hub

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee"
)

// summary renders exposes compactly: property:type:access[:unit][:min..max]
// [:values], specific types as type[features].
func summary(xs []Expose) string {
	var parts []string
	for _, x := range xs {
		if len(x.Features) > 0 && x.Type != "composite" {
			parts = append(parts, x.Type+"["+summary(x.Features)+"]")
			continue
		}
		s := fmt.Sprintf("%s:%s:%d", x.Property, x.Type, x.Access)
		if x.Type == "composite" {
			s = fmt.Sprintf("%s/%s:%s:%d", x.Property, x.Name, x.Type, x.Access)
		}
		if x.Unit != "" {
			s += ":" + x.Unit
		}
		if x.ValueMin != nil || x.ValueMax != nil {
			lo, hi := "", ""
			if x.ValueMin != nil {
				lo = fmt.Sprint(*x.ValueMin)
			}
			if x.ValueMax != nil {
				hi = fmt.Sprint(*x.ValueMax)
			}
			s += ":" + lo + ".." + hi
		}
		if x.Type == "binary" {
			s += fmt.Sprintf(":%v/%v", x.ValueOn, x.ValueOff)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func u16p(v uint16) *uint16 { return &v }

func ep(id zigbee.Endpoint, profile zigbee.ProfileID, devID uint16, in, out []zigbee.ClusterID) Endpoint {
	return Endpoint{ID: id, Profile: profile, DeviceID: devID, InClusters: in, OutClusters: out}
}

const (
	ha  = zigbee.ProfileHA
	zll = zigbee.ProfileZLL
	gp  = zigbee.ProfileGP
)

type cl = []zigbee.ClusterID

const lq = "linkquality:numeric:1:lqi:0..255"

// capabilityCases: every virtual device kind of zigbee/sim, then device
// descriptions of real devices. Cluster lists of real devices are the
// simple descriptors quoted in zha-device-handlers' signatures (file
// named in source); params are what the interview reads from them.
var capabilityCases = []struct {
	name, source string
	desc         deviceDesc
	want         string
	model        string // expected Definition.Model ("" = desc.Model)
}{
	// zigbee/sim device.go models.
	{name: "sim light", source: "zigbee/sim device.go KindLight",
		desc: deviceDesc{Manufacturer: "SONOFF", Model: "ZBMINIL2", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x0100, cl{0, 3, 4, 5, 6}, cl{0x19})}},
		want: "light[state:binary:7:ON/OFF] " + lq},
	{name: "sim dimmable", source: "zigbee/sim device.go KindDimmable",
		desc: deviceDesc{Manufacturer: "IKEA of Sweden", Model: "TRADFRI bulb E27 WW 806lm", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x0101, cl{0, 3, 4, 5, 6, 8, 0x1000}, cl{0x19})}},
		want: "light[state:binary:7:ON/OFF brightness:numeric:7:0..254] " + lq},
	{name: "sim color light", source: "zigbee/sim device.go KindColorLight",
		desc: deviceDesc{Manufacturer: "Signify Netherlands B.V.", Model: "LCA001", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x010D, cl{0, 3, 4, 5, 6, 8, 0x300, 0x1000}, cl{0x19})},
			Params:    params{ColorCapabilities: u16p(0x0019), ColorTempMin: 153, ColorTempMax: 500}},
		want: "light[state:binary:7:ON/OFF brightness:numeric:7:0..254 color_temp:numeric:7:mired:153..500 " +
			"color/color_xy:composite:7 color/color_hs:composite:7] " + lq},
	{name: "sim plug", source: "zigbee/sim device.go KindPlug",
		desc: deviceDesc{Manufacturer: "innr", Model: "SP 234", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x010A, cl{0, 3, 4, 5, 6, 0x702, 0xB04}, cl{0x19})},
			Params:    params{MeteringMultiplier: 1, MeteringDivisor: 1000, ACCurrentDivisor: 1000}},
		want: "switch[state:binary:7:ON/OFF] power:numeric:5:W voltage:numeric:5:V current:numeric:5:A energy:numeric:5:kWh " + lq},
	{name: "sim th_sensor", source: "zigbee/sim device.go KindTHSensor",
		desc: deviceDesc{Manufacturer: "SONOFF", Model: "SNZB-02D", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0302, cl{0, 1, 3, 0x402, 0x405}, cl{0x19})}},
		want: "temperature:numeric:5:°C humidity:numeric:5:%:0..100 battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "sim contact", source: "zigbee/sim device.go KindContact (zone type 0x0015)",
		desc: deviceDesc{Manufacturer: "SONOFF", Model: "SNZB-04", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0402, cl{0, 1, 3, 0x500}, cl{0x19})}, Params: params{ZoneType: u16p(0x0015)}},
		want: "contact:binary:1:true/false tamper:binary:1:true/false battery_low:binary:1:true/false " +
			"battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "sim remote", source: "zigbee/sim device.go KindRemote",
		desc: deviceDesc{Manufacturer: "IKEA of Sweden", Model: "TRADFRI on/off switch", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0820, cl{0, 1, 3, 0x20, 0x1000}, cl{3, 4, 6, 8, 0x19, 0x1000})}},
		want: "action:enum:1 battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},

	// Real devices.
	{name: "Aqara MCCGQ11LM door sensor", source: "zhaquirks/xiaomi/aqara/magnet_aq2.py",
		desc: deviceDesc{Manufacturer: "LUMI", Model: "lumi.sensor_magnet.aq2", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x5F01, cl{0, 3, 0xFFFF, 6}, cl{0, 4, 0xFFFF})}},
		want: "contact:binary:1:true/false " + lq, model: "MCCGQ11LM"},
	{name: "Aqara WSDCGQ11LM weather sensor", source: "zhaquirks/xiaomi/aqara/weather.py",
		desc: deviceDesc{Manufacturer: "LUMI", Model: "lumi.weather", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x5F01, cl{0, 3, 0xFFFF, 0x402, 0x403, 0x405}, cl{0, 4, 0xFFFF})}},
		want: "temperature:numeric:5:°C humidity:numeric:5:%:0..100 pressure:numeric:5:hPa " + lq},
	{name: "Aqara RTCGQ11LM motion sensor", source: "zhaquirks/xiaomi/aqara/motion_aq2.py",
		desc: deviceDesc{Manufacturer: "LUMI", Model: "lumi.sensor_motion.aq2", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0107, cl{0, 0xFFFF, 0x406, 0x400, 0x500, 1, 3}, cl{0, 0x19})}},
		want:  "occupancy:binary:1:true/false illuminance:numeric:1:lx battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq,
		model: "RTCGQ11LM"},
	{name: "IKEA FYRTUR blind", source: "zhaquirks/ikea/blinds.py",
		desc: deviceDesc{Manufacturer: "IKEA of Sweden", Model: "FYRTUR block-out roller blind", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0202, cl{0, 1, 3, 4, 5, 0x20, 0x102, 0x1000, 0xFC7C}, cl{0x19, 0x1000})}},
		want: "cover[state:enum:3 position:numeric:7:%:0..100] battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "IKEA E1743 on/off switch", source: "zhaquirks/ikea/twobtnremote.py",
		desc: deviceDesc{Manufacturer: "IKEA of Sweden", Model: "TRADFRI on/off switch", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0820, cl{0, 1, 3, 9, 0x20, 0x1000, 0xFC7C}, cl{3, 4, 6, 8, 0x19, 0x102, 0x1000})}},
		want: "action:enum:1 battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "innr SP 234 plug", source: "zhaquirks/innr/innr_sp234_plug.py",
		desc: deviceDesc{Manufacturer: "innr", Model: "SP 234", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x010A, cl{0, 3, 4, 5, 6, 0x702, 0xB04, 0xB05, 0x1000, 0xFC57, 0xFC82}, cl{3, 0xA, 0x19}),
				ep(242, gp, 0x0061, nil, cl{0x21})}},
		want: "switch[state:binary:7:ON/OFF] power:numeric:5:W voltage:numeric:5:V current:numeric:5:A energy:numeric:5:kWh " + lq},
	{name: "Tuya TS011F plug", source: "zhaquirks/tuya/ts011f_plug.py",
		desc: deviceDesc{Manufacturer: "_TZ3000_w0qqde0g", Model: "TS011F", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x0051, cl{0, 3, 4, 5, 6, 0x702, 0xB04, 0xE000, 0xE001}, cl{0xA, 0x19}),
				ep(242, gp, 0x0061, nil, cl{0x21})}},
		want:  "switch[state:binary:7:ON/OFF] power:numeric:5:W voltage:numeric:5:V current:numeric:5:A energy:numeric:5:kWh " + lq,
		model: "TS011F_plug_1"},
	{name: "Tuya TS011F 2-gang", source: "zhaquirks/tuya/ts011f_switch.py",
		desc: deviceDesc{Manufacturer: "_TZ3000_zmy4lslw", Model: "TS011F", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x010A, cl{0, 3, 4, 5, 6, 0xE000, 0xE001}, cl{0xA, 0x19}),
				ep(2, ha, 0x010A, cl{3, 4, 5, 6, 0xE000, 0xE001}, nil), ep(242, gp, 0x0061, nil, cl{0x21})}},
		want:  "switch[state_l1:binary:7:ON/OFF] switch[state_l2:binary:7:ON/OFF] " + lq,
		model: "TS011F_plug_1"},
	{name: "Danfoss eTRV0100 thermostat", source: "zhaquirks/danfoss/thermostat.py",
		desc: deviceDesc{Manufacturer: "Danfoss", Model: "eTRV0100", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0301, cl{0, 1, 3, 0xA, 0x20, 0x201, 0x204, 0xB05}, cl{0, 0x19})}},
		want: "climate[local_temperature:numeric:5:°C occupied_heating_setpoint:numeric:7:°C:5..30 system_mode:enum:7] " +
			"battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "SmartThings moisturev4 leak sensor", source: "zhaquirks/smartthings/moisturev4.py (IAS zone type water sensor)",
		desc: deviceDesc{Manufacturer: "SmartThings", Model: "moisturev4", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x0402, cl{0, 1, 3, 0xF, 0x402, 0x500, 0x20}, cl{0x19})}, Params: params{ZoneType: u16p(0x002A)}},
		want: "temperature:numeric:5:°C water_leak:binary:1:true/false tamper:binary:1:true/false battery_low:binary:1:true/false " +
			"battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "IKEA LED1537R6 GU10 white spectrum", source: "zhaquirks/ikea/cctlightzha.py",
		desc: deviceDesc{Manufacturer: "IKEA of Sweden", Model: "TRADFRI bulb GU10 WS 400lm", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x0220, cl{0, 3, 4, 5, 6, 8, 0x300, 0xB05, 0x1000}, cl{5, 0x19, 0x20, 0x1000})}},
		want: "light[state:binary:7:ON/OFF brightness:numeric:7:0..254 color_temp:numeric:7:mired:250..454] " + lq},
	{name: "Yale YRD210 lock", source: "zhaquirks/yale/realliving.py",
		desc: deviceDesc{Manufacturer: "Yale", Model: "YRD210 PB DB", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, ha, 0x000A, cl{0, 1, 3, 9, 0xA, 0x101, 0x20}, cl{0xA, 0x19})}},
		want: "lock[state:binary:7:LOCK/UNLOCK lock_state:enum:5] battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
	{name: "Xiaomi ZNCZ02LM plug", source: "zhaquirks/xiaomi/aqara/plug.py",
		desc: deviceDesc{Manufacturer: "LUMI", Model: "lumi.plug", PowerSource: 1,
			Endpoints: []Endpoint{ep(1, ha, 0x0051, cl{0, 4, 3, 6, 0x10, 5, 0xA, 1, 2}, cl{0x19, 0xA}),
				ep(2, ha, 0x0009, cl{0xC}, cl{0xC, 4}), ep(3, ha, 0x0053, cl{0xC}, cl{0xC})}},
		want:  "switch[state:binary:7:ON/OFF] power:numeric:5:W " + lq,
		model: "ZNCZ02LM"},
	{name: "Philips SML001 motion sensor", source: "zhaquirks/philips/motion.py",
		desc: deviceDesc{Manufacturer: "Signify Netherlands B.V.", Model: "SML001", PowerSource: 3,
			Endpoints: []Endpoint{ep(1, zll, 0x0850, cl{0}, cl{0, 3, 4, 5, 6, 8, 0x300}),
				ep(2, ha, 0x0107, cl{0, 1, 3, 0x400, 0x402, 0x406}, cl{0x19})}},
		want: "temperature:numeric:5:°C illuminance:numeric:5:lx occupancy:binary:1:true/false " +
			"battery:numeric:5:%:0..100 voltage:numeric:5:mV " + lq},
}

func TestCapabilityDerivation(t *testing.T) {
	for _, tc := range capabilityCases {
		t.Run(tc.name, func(t *testing.T) {
			m := deriveModel(tc.desc)
			if got := summary(m.def.Exposes); got != tc.want {
				t.Errorf("source %s\n got: %s\nwant: %s", tc.source, got, tc.want)
			}
			wantModel := tc.model
			if wantModel == "" {
				wantModel = tc.desc.Model
			}
			if m.def.Model != wantModel {
				t.Errorf("model %q, want %q", m.def.Model, wantModel)
			}
			// Every settable or readable property of the definition is in
			// the model with what it needs.
			checkModelConsistent(t, m)
		})
	}
}

// checkModelConsistent checks that exposes and compiled properties agree.
func checkModelConsistent(t *testing.T, m *model) {
	t.Helper()
	var walk func(xs []Expose)
	walk = func(xs []Expose) {
		for _, x := range xs {
			if x.Property != "" && x.Property != "linkquality" {
				p := m.props[x.Property]
				switch {
				case p == nil:
					t.Errorf("expose %s has no property in the model", x.Property)
				case x.Access&AccessSet != 0 && p.set == nil:
					t.Errorf("%s is settable but has no set function", x.Property)
				case x.Access&AccessGet != 0 && len(p.attrs) == 0:
					t.Errorf("%s is readable but names no attribute", x.Property)
				}
			}
			if x.Type != "composite" {
				walk(x.Features)
			}
		}
	}
	walk(m.def.Exposes)
}

// TestReportingAndBinds checks what the interview configures for a colour
// light and a remote (intervals: herdsman-converters lib/reporting.ts).
func TestReportingAndBinds(t *testing.T) {
	light := deriveModel(capabilityCases[2].desc)
	var got []string
	for _, r := range light.reporting {
		got = append(got, r.String())
	}
	want := []string{
		"ep1 0x0006/0x0000 min 0 max 3600 change 0",
		"ep1 0x0008/0x0000 min 1 max 3600 change 1",
		"ep1 0x0300/0x0007 min 0 max 3600 change 1",
		"ep1 0x0300/0x0003 min 0 max 3600 change 1",
		"ep1 0x0300/0x0004 min 0 max 3600 change 1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("colour light reporting\n got %q\nwant %q", got, want)
	}
	remote := deriveModel(capabilityCases[6].desc)
	if !slices.Contains(remote.binds, epCluster{1, 6}) || !slices.Contains(remote.binds, epCluster{1, 8}) {
		t.Errorf("remote binds %v, want its On/Off and Level Control client clusters", remote.binds)
	}
	if !slices.Contains(remote.binds, epCluster{1, 1}) {
		t.Errorf("remote binds %v lack Power Configuration for battery reports", remote.binds)
	}
	contact := deriveModel(capabilityCases[5].desc)
	if !slices.Equal(contact.iasZones, []zigbee.Endpoint{1}) {
		t.Errorf("contact IAS zones %v", contact.iasZones)
	}
}

// TestColorWithoutCapabilities: a device that did not answer the colour
// capabilities read is judged by its device id, with Zigbee2MQTT's
// default colour temperature range.
func TestColorWithoutCapabilities(t *testing.T) {
	m := deriveModel(deviceDesc{Endpoints: []Endpoint{ep(11, zll, 0x0210, cl{0, 3, 4, 5, 6, 8, 0x300}, nil)}, PowerSource: 1})
	want := "light[state:binary:7:ON/OFF brightness:numeric:7:0..254 color_temp:numeric:7:mired:150..500 " +
		"color/color_xy:composite:7 color/color_hs:composite:7] " + lq
	if got := summary(m.def.Exposes); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if m.props["brightness"].ep != 11 {
		t.Errorf("brightness on endpoint %d, want 11", m.props["brightness"].ep)
	}
}
