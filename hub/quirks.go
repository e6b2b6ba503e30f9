package hub

import (
	"slices"
	"strings"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// quirk adjusts the generic derivation for one device model whose clusters
// do not tell the whole truth. The table is data: each entry cites where
// the fact comes from, and conversions are referred to by name.
type quirk struct {
	models       []string // Basic modelId values (exact)
	manufacturer string   // Basic manufacturerName prefix; "" = any
	model        string   // Zigbee2MQTT's model name for the definition
	vendor       string
	description  string
	source       string // where the facts come from

	// params overrides attribute values the device reports wrongly or
	// not at all.
	params func(p *params)
	// ignoreClusters are server clusters that do not mean what the
	// generic table would make of them.
	ignoreClusters []zigbee.ClusterID
	// attrs map manufacturer-specific uses of clusters to properties.
	attrs []quirkAttr
	// colorTempRange replaces the physical min/max the device reports.
	colorTempRange [2]uint16
	// preferHS lists color_hs before color_xy.
	preferHS bool
}

// quirkAttr maps one attribute to an exposed, read-only property.
type quirkAttr struct {
	ep      zigbee.Endpoint // 0 = any endpoint
	cluster zigbee.ClusterID
	attr    zcl.AttributeID
	conv    string // name in conversions
	expose  Expose
	report  bool // bind and configure reporting for it
}

var quirks = []quirk{
	{
		models: []string{"lumi.sensor_magnet.aq2"}, manufacturer: "LUMI",
		model: "MCCGQ11LM", vendor: "Aqara", description: "Door and window sensor",
		source: "herdsman-converters fz.xiaomi_contact (contact = onOff == 0); " +
			"zha-device-handlers zhaquirks/xiaomi/aqara/magnet_aq2.py (clusters)",
		ignoreClusters: []zigbee.ClusterID{zcl.ClusterOnOff},
		attrs: []quirkAttr{{cluster: zcl.ClusterOnOff, attr: 0x0000, conv: "contact_on_off_inverted",
			expose: Expose{Type: "binary", Name: "contact", Label: "Contact", Property: "contact", Access: AccessState,
				ValueOn: true, ValueOff: false, Description: "Indicates if the contact is closed (= true) or open (= false)"}}},
	},
	{
		models: []string{"lumi.sensor_motion.aq2"}, manufacturer: "LUMI",
		model: "RTCGQ11LM", vendor: "Aqara", description: "Motion sensor",
		source: "herdsman-converters fz.RTCGQ11LM_illuminance (measuredValue is lux) and its exposes " +
			"(no IAS alarm); zha-device-handlers zhaquirks/xiaomi/aqara/motion_aq2.py (clusters)",
		ignoreClusters: []zigbee.ClusterID{zcl.ClusterIlluminance, zcl.ClusterIASZone},
		attrs: []quirkAttr{{cluster: zcl.ClusterIlluminance, attr: 0x0000, conv: "illuminance_lux",
			expose: Expose{Type: "numeric", Name: "illuminance", Label: "Illuminance", Property: "illuminance",
				Access: AccessState, Unit: "lx", Description: "Measured illuminance in lux"}}},
	},
	{
		models: []string{"lumi.plug"}, manufacturer: "LUMI",
		model: "ZNCZ02LM", vendor: "Xiaomi", description: "Mi power plug",
		source: "zha-device-handlers zhaquirks/xiaomi/aqara/plug.py (endpoint 2 Analog Input reports power); " +
			"herdsman-converters fz.xiaomi_power (presentValue in W)",
		attrs: []quirkAttr{{ep: 2, cluster: zcl.ClusterAnalogInput, attr: 0x0055, conv: "power_present_value",
			expose: Expose{Type: "numeric", Name: "power", Label: "Power", Property: "power",
				Access: AccessState | AccessGet, Unit: "W", Description: "Instantaneous measured power"}}},
	},
	{
		models: []string{"TS011F"}, manufacturer: "_TZ",
		model: "TS011F_plug_1", vendor: "Tuya", description: "Smart plug (with power monitoring)",
		source: "herdsman-converters src/devices/tuya.ts: configure saves acCurrentDivisor 1000, " +
			"acCurrentMultiplier 1, metering divisor 100, multiplier 1 (the device does not answer them)",
		params: func(p *params) {
			p.ACCurrentDivisor, p.ACCurrentMultiplier = 1000, 1
			p.MeteringDivisor, p.MeteringMultiplier = 100, 1
		},
	},
	{
		models: []string{
			"TRADFRI bulb E27 WS opal 980lm", "TRADFRI bulb E27 WS clear 950lm", "TRADFRI bulb GU10 WS 400lm",
			"FLOALT panel WS 30x90", "FLOALT panel WS 60x60",
		},
		manufacturer: "IKEA",
		vendor:       "IKEA",
		source: "herdsman-converters src/devices/ikea.ts (white spectrum lights: colorTemp range " +
			"[250, 454]); the same range is what deCONZ reports for TRADFRI bulb GU10 WS 400lm " +
			"(capabilities.control.ct min 250, max 454)",
		colorTempRange: [2]uint16{250, 454},
	},
}

// findQuirk returns the quirk for a model, or nil.
func findQuirk(manufacturer, model string) *quirk {
	for i := range quirks {
		q := &quirks[i]
		if slices.Contains(q.models, model) && strings.HasPrefix(manufacturer, q.manufacturer) {
			return q
		}
	}
	return nil
}
