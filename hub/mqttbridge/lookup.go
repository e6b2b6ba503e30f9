package mqttbridge

// hints are the Home Assistant fields Zigbee2MQTT adds for a known expose
// name (its BINARY_/NUMERIC_/ENUM_DISCOVERY_LOOKUP tables, v2.12.1). Only
// the names a zhub device can expose, and common ones a quirk may add, are
// listed; an unknown name gets no hints, as in Zigbee2MQTT.
type hints struct {
	deviceClass    string
	stateClass     string
	entityCategory string
	icon           string
	disabled       bool // enabled_by_default: false
	enabled        bool // enabled_by_default: true (explicit)
	preserveName   bool // keep "name" although a device class is set
	payloadOn      any  // overrides (garage door contact)
	payloadOff     any
}

func (h hints) apply(p map[string]any) {
	if h.deviceClass != "" {
		p["device_class"] = h.deviceClass
	}
	if h.stateClass != "" {
		p["state_class"] = h.stateClass
	}
	if h.entityCategory != "" {
		p["entity_category"] = h.entityCategory
	}
	if h.icon != "" {
		p["icon"] = h.icon
	}
	if h.disabled {
		p["enabled_by_default"] = false
	}
	if h.enabled {
		p["enabled_by_default"] = true
	}
	if h.payloadOn != nil {
		p["payload_on"], p["payload_off"] = h.payloadOn, h.payloadOff
	}
}

const (
	measurement     = "measurement"
	totalIncreasing = "total_increasing"
	diagnostic      = "diagnostic"
	config          = "config"
)

var binaryLookup = map[string]hints{
	"battery_low":         {entityCategory: diagnostic, deviceClass: "battery"},
	"carbon_monoxide":     {deviceClass: "carbon_monoxide"},
	"child_lock":          {entityCategory: config, icon: "mdi:account-lock"},
	"contact":             {deviceClass: "door"},
	"garage_door_contact": {deviceClass: "garage_door", payloadOn: false, payloadOff: true},
	"gas":                 {deviceClass: "gas"},
	"led_indication":      {entityCategory: config, icon: "mdi:led-on"},
	"moving":              {deviceClass: "moving"},
	"occupancy":           {deviceClass: "occupancy"},
	"power_outage_memory": {entityCategory: config, icon: "mdi:memory"},
	"presence":            {deviceClass: "occupancy"},
	"smoke":               {deviceClass: "smoke"},
	"sos":                 {deviceClass: "safety"},
	"tamper":              {deviceClass: "tamper"},
	"vibration":           {deviceClass: "vibration"},
	"water_leak":          {deviceClass: "moisture"},
	"window":              {deviceClass: "window"},
	"window_open":         {deviceClass: "window"},
}

var numericLookup = map[string]hints{
	"ac_frequency":       {deviceClass: "frequency", stateClass: measurement},
	"aqi":                {deviceClass: "aqi", stateClass: measurement},
	"battery":            {deviceClass: "battery", stateClass: measurement},
	"battery_voltage":    {deviceClass: "voltage", entityCategory: diagnostic, stateClass: measurement, enabled: true},
	"co2":                {deviceClass: "carbon_dioxide", stateClass: measurement},
	"current":            {deviceClass: "current", stateClass: measurement},
	"device_temperature": {deviceClass: "temperature", entityCategory: diagnostic, stateClass: measurement},
	"eco2":               {deviceClass: "volatile_organic_compounds_parts", stateClass: measurement},
	"energy":             {deviceClass: "energy", stateClass: totalIncreasing},
	"formaldehyd":        {stateClass: measurement},
	"humidity":           {deviceClass: "humidity", stateClass: measurement},
	"illuminance":        {deviceClass: "illuminance", stateClass: measurement},
	"illuminance_raw":    {stateClass: measurement},
	"linkquality":        {disabled: true, entityCategory: diagnostic, icon: "mdi:signal", stateClass: measurement},
	"local_temperature":  {deviceClass: "temperature", stateClass: measurement},
	"pm10":               {deviceClass: "pm10", stateClass: measurement},
	"pm25":               {deviceClass: "pm25", stateClass: measurement},
	"power":              {deviceClass: "power", stateClass: measurement},
	"power_factor":       {deviceClass: "power_factor", disabled: true, entityCategory: diagnostic, stateClass: measurement},
	"pressure":           {deviceClass: "atmospheric_pressure", stateClass: measurement},
	"soil_moisture":      {deviceClass: "moisture", stateClass: measurement},
	"temperature":        {deviceClass: "temperature", stateClass: measurement},
	"transition":         {entityCategory: config, icon: "mdi:transition"},
	"voc":                {deviceClass: "volatile_organic_compounds", stateClass: measurement},
	"voc_parts":          {deviceClass: "volatile_organic_compounds_parts", stateClass: measurement},
	"voltage":            {deviceClass: "voltage", stateClass: measurement},
	"x":                  {icon: "mdi:axis-x-arrow", stateClass: measurement},
	"y":                  {icon: "mdi:axis-y-arrow", stateClass: measurement},
	"z":                  {icon: "mdi:axis-z-arrow", stateClass: measurement},
}

var enumLookup = map[string]hints{
	"action":                  {icon: "mdi:gesture-double-tap"},
	"color_power_on_behavior": {entityCategory: config, icon: "mdi:palette"},
	"effect":                  {disabled: true, icon: "mdi:palette"},
	"identify":                {deviceClass: "identify"},
	"keypad_lockout":          {entityCategory: config, icon: "mdi:lock"},
	"mode":                    {entityCategory: config, icon: "mdi:tune"},
	"operation_mode":          {entityCategory: config, icon: "mdi:tune"},
	"power_on_behavior":       {entityCategory: config, icon: "mdi:power-settings"},
	"power_outage_memory":     {entityCategory: config, icon: "mdi:power-settings"},
	"restart":                 {deviceClass: "restart"},
	"sensitivity":             {entityCategory: config, icon: "mdi:tune"},
	"switch_type":             {entityCategory: config, icon: "mdi:tune"},
	"temperature_unit":        {entityCategory: config, icon: "mdi:temperature-celsius"},
}
