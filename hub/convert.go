package hub

import (
	"errors"
	"fmt"
	"math"

	"github.com/zhubhq/zhub/zigbee/zcl"
)

// params are attribute values the interview reads because exposes and
// conversions depend on them (ZCL attributes named in comments). Zero
// multipliers and divisors mean "not read" and count as 1.
type params struct {
	ColorCapabilities *uint16 `json:"color_capabilities,omitempty"` // 0x0300/0x400A
	ColorTempMin      uint16  `json:"color_temp_min,omitempty"`     // 0x0300/0x400B, mireds
	ColorTempMax      uint16  `json:"color_temp_max,omitempty"`     // 0x0300/0x400C, mireds
	ZoneType          *uint16 `json:"zone_type,omitempty"`          // 0x0500/0x0001

	MeteringMultiplier  uint32 `json:"metering_multiplier,omitempty"`   // 0x0702/0x0301
	MeteringDivisor     uint32 `json:"metering_divisor,omitempty"`      // 0x0702/0x0302
	ACVoltageMultiplier uint16 `json:"ac_voltage_multiplier,omitempty"` // 0x0B04/0x0600
	ACVoltageDivisor    uint16 `json:"ac_voltage_divisor,omitempty"`    // 0x0B04/0x0601
	ACCurrentMultiplier uint16 `json:"ac_current_multiplier,omitempty"` // 0x0B04/0x0602
	ACCurrentDivisor    uint16 `json:"ac_current_divisor,omitempty"`    // 0x0B04/0x0603
	ACPowerMultiplier   uint16 `json:"ac_power_multiplier,omitempty"`   // 0x0B04/0x0604
	ACPowerDivisor      uint16 `json:"ac_power_divisor,omitempty"`      // 0x0B04/0x0605
}

// factor returns multiplier/divisor with unread (zero) values as 1.
func factor[T uint16 | uint32](mul, div T) float64 {
	m, d := float64(mul), float64(div)
	if m == 0 {
		m = 1
	}
	if d == 0 {
		d = 1
	}
	return m / d
}

// paramAttr names an attribute that updates params when it is read or
// reported, so a device that reports its divisor later is still scaled
// right.
type paramAttr struct {
	cluster uint16
	attr    zcl.AttributeID
	set     func(p *params, v zcl.Value)
}

var paramAttrs = []paramAttr{
	{0x0300, 0x400A, func(p *params, v zcl.Value) { c := uint16(v.Uint()); p.ColorCapabilities = &c }},
	{0x0300, 0x400B, func(p *params, v zcl.Value) { p.ColorTempMin = uint16(v.Uint()) }},
	{0x0300, 0x400C, func(p *params, v zcl.Value) { p.ColorTempMax = uint16(v.Uint()) }},
	{0x0500, 0x0001, func(p *params, v zcl.Value) { z := uint16(v.Uint()); p.ZoneType = &z }},
	{0x0702, 0x0301, func(p *params, v zcl.Value) { p.MeteringMultiplier = uint32(v.Uint()) }},
	{0x0702, 0x0302, func(p *params, v zcl.Value) { p.MeteringDivisor = uint32(v.Uint()) }},
	{0x0B04, 0x0600, func(p *params, v zcl.Value) { p.ACVoltageMultiplier = uint16(v.Uint()) }},
	{0x0B04, 0x0601, func(p *params, v zcl.Value) { p.ACVoltageDivisor = uint16(v.Uint()) }},
	{0x0B04, 0x0602, func(p *params, v zcl.Value) { p.ACCurrentMultiplier = uint16(v.Uint()) }},
	{0x0B04, 0x0603, func(p *params, v zcl.Value) { p.ACCurrentDivisor = uint16(v.Uint()) }},
	{0x0B04, 0x0604, func(p *params, v zcl.Value) { p.ACPowerMultiplier = uint16(v.Uint()) }},
	{0x0B04, 0x0605, func(p *params, v zcl.Value) { p.ACPowerDivisor = uint16(v.Uint()) }},
}

func findParamAttr(cluster uint16, attr zcl.AttributeID) *paramAttr {
	for i := range paramAttrs {
		if paramAttrs[i].cluster == cluster && paramAttrs[i].attr == attr {
			return &paramAttrs[i]
		}
	}
	return nil
}

// errNoValue means the attribute holds its type's "no value" sentinel
// (ZCL §2.6.2: e.g. 0x8000 for a temperature): not an error, nothing to
// publish.
var errNoValue = errors.New("no value")

// convFunc turns one ZCL attribute value into a state value. It returns
// errNoValue for sentinels and an error wrapping ErrOutOfRange or
// ErrInvalidValue for values the device should not have sent.
type convFunc func(v zcl.Value, p *params) (any, error)

func round(f float64, decimals int) float64 {
	s := math.Pow(10, float64(decimals))
	return math.Round(f*s) / s
}

// number reads an integer attribute, treating the type's invalid value as
// absent and rejecting non-numeric types.
func number(v zcl.Value) (float64, error) {
	if v.IsInvalid() {
		return 0, errNoValue
	}
	switch {
	case v.Type.IsSigned():
		return float64(v.Int()), nil
	case v.Type == zcl.TypeSemiFloat || v.Type == zcl.TypeFloat || v.Type == zcl.TypeDouble:
		return v.Float(), nil
	case v.Type.IsString(), v.Type.IsCollection(), v.Type == zcl.TypeNoData, !v.Type.Known():
		return 0, fmt.Errorf("%w: %v is not a number", ErrInvalidValue, v.Type)
	}
	return float64(v.Uint()), nil
}

func inRange(f, lo, hi float64, unit string) error {
	if f < lo || f > hi {
		return fmt.Errorf("%w: %g%s outside %g–%g%s", ErrOutOfRange, f, unit, lo, hi, unit)
	}
	return nil
}

// scaled returns a conversion v·k rounded to decimals, checked against
// [lo, hi] (plausibility bounds from the ZCL attribute ranges).
func scaled(k float64, decimals int, lo, hi float64, unit string) convFunc {
	return func(v zcl.Value, _ *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		f = round(f*k, decimals)
		if err := inRange(f, lo, hi, unit); err != nil {
			return nil, err
		}
		return f, nil
	}
}

// enumOf maps enum values to names.
func enumOf(names map[uint64]string) convFunc {
	return func(v zcl.Value, _ *params) (any, error) {
		if v.IsInvalid() {
			return nil, errNoValue
		}
		if s, ok := names[v.Uint()]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("%w: unknown value %d", ErrInvalidValue, v.Uint())
	}
}

func onOffString(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// Named conversions. The quirks table refers to them by name, so they are
// data too. Units and scaling follow Zigbee2MQTT (docs/interfaces.md
// §A.2) and the ZCL attribute definitions cited.
var conversions = map[string]convFunc{
	// On/Off 0x0006/0x0000 (bool; some devices send other integer types).
	"on_off": func(v zcl.Value, _ *params) (any, error) {
		if v.Type == zcl.TypeBool && v.IsInvalid() {
			return nil, errNoValue
		}
		return onOffString(v.Uint() != 0), nil
	},
	// Contact sensors that report on On/Off: 0 = magnet present = closed =
	// contact true (herdsman-converters fz.xiaomi_contact).
	"contact_on_off_inverted": func(v zcl.Value, _ *params) (any, error) { return v.Uint() == 0, nil },
	// Level Control currentLevel 0x0008/0x0000: 0–254 (0xFF is undefined).
	"brightness": func(v zcl.Value, _ *params) (any, error) {
		if v.Uint() == 0xFF {
			return nil, errNoValue
		}
		return float64(v.Uint()), nil
	},
	// Color Control colorTemperatureMireds 0x0300/0x0007; 0 and 0xFFFF are
	// undefined (ZCL §5.2.2.2.1.8).
	"color_temp": func(v zcl.Value, _ *params) (any, error) {
		m := v.Uint()
		if m == 0 || m == 0xFFFF {
			return nil, errNoValue
		}
		return float64(m), nil
	},
	// currentX/currentY 0x0003/0x0004: x = value/65536 (ZCL §5.2.2.2.1.4).
	"color_xy": func(v zcl.Value, _ *params) (any, error) { return round(float64(v.Uint())/65535, 4), nil },
	// currentHue 0x0000: 0–254 → degrees; currentSaturation 0x0001: 0–254 → %.
	"color_hue":        func(v zcl.Value, _ *params) (any, error) { return math.Round(float64(v.Uint()) * 360 / 254), nil },
	"color_saturation": func(v zcl.Value, _ *params) (any, error) { return math.Round(float64(v.Uint()) * 100 / 254), nil },
	"color_mode":       enumOf(map[uint64]string{0: "hs", 1: "xy", 2: "color_temp"}),
	// Temperature Measurement 0x0402/0x0000: int16 in 0.01 °C (−273.15–327.67).
	"temperature": scaled(0.01, 2, -273.15, 327.67, "°C"),
	// Relative Humidity 0x0405/0x0000: uint16 in 0.01 % (0–100 %).
	"humidity": scaled(0.01, 2, 0, 100, "%"),
	// Pressure 0x0403/0x0000: int16 in kPa·10 = hPa.
	"pressure": scaled(1, 1, 0, 2000, "hPa"),
	// Illuminance 0x0400/0x0000: 10000·log10(lx)+1 (ZCL §4.2.2.2.1.1);
	// 0 means too dark to measure.
	"illuminance": func(v zcl.Value, _ *params) (any, error) {
		n := v.Uint()
		if n == 0xFFFF {
			return nil, errNoValue
		}
		if n == 0 {
			return 0.0, nil
		}
		return math.Round(math.Pow(10, (float64(n)-1)/10000)), nil
	},
	// Devices that report illuminance in lux directly (quirks).
	"illuminance_lux": scaled(1, 0, 0, 200000, "lx"),
	// Occupancy Sensing 0x0406/0x0000: bitmap8, bit 0 occupied.
	"occupancy": func(v zcl.Value, _ *params) (any, error) { return v.Uint()&1 != 0, nil },
	// Power Configuration batteryPercentageRemaining 0x0001/0x0021: half
	// percent (200 = 100 %), 0xFF unknown. Values above 200 are clamped as
	// Zigbee2MQTT does: many devices overshoot.
	"battery": func(v zcl.Value, _ *params) (any, error) {
		if v.IsInvalid() {
			return nil, errNoValue
		}
		return math.Min(100, math.Round(float64(v.Uint())/2)), nil
	},
	// batteryVoltage 0x0001/0x0020: 100 mV units → mV.
	"battery_voltage": func(v zcl.Value, _ *params) (any, error) {
		if v.IsInvalid() || v.Uint() == 0 {
			return nil, errNoValue
		}
		return float64(v.Uint() * 100), nil
	},
	// Metering currentSummationDelivered 0x0702/0x0000 × multiplier/divisor → kWh.
	"energy": func(v zcl.Value, p *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f*factor(p.MeteringMultiplier, p.MeteringDivisor), 2), nil
	},
	// Metering instantaneousDemand 0x0702/0x0400 (kW × factor) → W.
	"power_metering": func(v zcl.Value, p *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f*factor(p.MeteringMultiplier, p.MeteringDivisor)*1000, 2), nil
	},
	// Electrical Measurement activePower 0x0B04/0x050B × acPower factor → W.
	"power": func(v zcl.Value, p *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f*factor(p.ACPowerMultiplier, p.ACPowerDivisor), 2), nil
	},
	// rmsVoltage 0x0B04/0x0505 → V.
	"voltage": func(v zcl.Value, p *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f*factor(p.ACVoltageMultiplier, p.ACVoltageDivisor), 2), nil
	},
	// rmsCurrent 0x0B04/0x0508 → A.
	"current": func(v zcl.Value, p *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f*factor(p.ACCurrentMultiplier, p.ACCurrentDivisor), 3), nil
	},
	// Analog Input presentValue 0x000C/0x0055 in W (Xiaomi plugs).
	"power_present_value": func(v zcl.Value, _ *params) (any, error) {
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return round(f, 2), nil
	},
	// Window Covering currentPositionLiftPercentage 0x0102/0x0008: 0 = open;
	// Zigbee2MQTT's position is 100 = open.
	"position": func(v zcl.Value, _ *params) (any, error) {
		n := v.Uint()
		if n == 0xFF {
			return nil, errNoValue
		}
		if n > 100 {
			return nil, fmt.Errorf("%w: lift %d%% above 100%%", ErrOutOfRange, n)
		}
		return float64(100 - n), nil
	},
	// Door Lock lockState 0x0101/0x0000.
	"lock_state": enumOf(map[uint64]string{0: "not_fully_locked", 1: "locked", 2: "unlocked"}),
	"lock": func(v zcl.Value, _ *params) (any, error) {
		switch v.Uint() {
		case 1:
			return "LOCK", nil
		case 0, 2:
			return "UNLOCK", nil
		}
		return nil, errNoValue
	},
	// Thermostat localTemperature 0x0201/0x0000 and occupiedHeatingSetpoint
	// 0x0201/0x0012: int16 in 0.01 °C.
	"local_temperature":         scaled(0.01, 2, -273.15, 327.67, "°C"),
	"occupied_heating_setpoint": scaled(0.01, 2, -273.15, 327.67, "°C"),
	// Thermostat systemMode 0x0201/0x001C (ZCL §6.3.2.2.2.10).
	"system_mode": enumOf(systemModes),
	// Fan Control fanMode 0x0202/0x0000 (ZCL §6.4.2.2.1).
	"fan_mode": enumOf(fanModes),
}

var systemModes = map[uint64]string{0: "off", 1: "auto", 3: "cool", 4: "heat", 5: "emergency_heating", 6: "precooling", 7: "fan_only", 8: "dry", 9: "sleep"}

var fanModes = map[uint64]string{0: "off", 1: "low", 2: "medium", 3: "high", 4: "on", 5: "auto", 6: "smart"}

// zoneBit returns a conversion of an IAS zone status bit (ZCL §8.2.2.2.1.3).
func zoneBit(mask uint64, invert bool) convFunc {
	return func(v zcl.Value, _ *params) (any, error) {
		set := v.Uint()&mask != 0
		return set != invert, nil
	}
}

// keyOf returns the key of name in an enum map.
func keyOf(m map[uint64]string, name string) (uint64, bool) {
	for k, v := range m {
		if v == name {
			return k, true
		}
	}
	return 0, false
}
