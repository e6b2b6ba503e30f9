package mqttbridge

import (
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// coordinatorType is herdsman's name for the coordinator's stack, which
// clients display.
func coordinatorType(n zigbee.NetworkInfo) string {
	switch n.Firmware.Stack {
	case "zstack":
		p := n.Firmware.Product
		switch {
		case strings.Contains(p, "1.2"):
			return "zStack12"
		case strings.Contains(p, "3.0"):
			return "zStack30x"
		}
		return "zStack3x0"
	case "ember":
		return "EmberZNet"
	}
	return n.Firmware.Stack
}

// revision renders a firmware revision as a number when it is one.
func revision(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	return s
}

// publishInfo publishes bridge/info (retained).
func (b *Bridge) publishInfo() {
	if !b.connected.Load() {
		return
	}
	n := b.netInfo
	info := map[string]any{
		"version":          b.cfg.Version,
		"commit":           "",
		"coordinator":      map[string]any{"ieee_address": n.IEEE.String(), "type": coordinatorType(n), "meta": map[string]any{"revision": revision(n.Firmware.Revision), "product": n.Firmware.Product}},
		"network":          map[string]any{"pan_id": int(n.PANID), "extended_pan_id": n.ExtPANID.String(), "channel": int(n.Channel)},
		"mqtt":             map[string]any{"server": redactURL(b.cfg.URL), "version": 4},
		"log_level":        "info",
		"permit_join":      !b.permitEnd.IsZero(),
		"restart_required": false,
		"config": map[string]any{
			"mqtt":          map[string]any{"base_topic": b.base, "server": redactURL(b.cfg.URL)},
			"homeassistant": map[string]any{"enabled": b.cfg.HADiscovery, "discovery_topic": b.cfg.HADiscoveryPrefix, "status_topic": b.cfg.HAStatusTopic},
			"availability":  map[string]any{"enabled": true},
			"advanced":      map[string]any{"last_seen": "disable", "output": "json", "cache_state": true},
		},
		"config_schema": map[string]any{},
	}
	if !b.permitEnd.IsZero() {
		info["permit_join_end"] = b.permitEnd.UnixMilli()
	}
	b.publish(b.Topic("bridge/info"), 0, true, marshal(info))
}

// devicesDelay gathers the changes of a burst (a mass pairing publishes
// an interview step per device) into one bridge/devices message: with
// hundreds of devices it is megabytes.
const devicesDelay = 200 * time.Millisecond

// publishDevices schedules bridge/devices (runs on the control goroutine).
func (b *Bridge) publishDevices() {
	if b.devicesDue || !b.connected.Load() {
		return
	}
	b.devicesDue = true
	time.AfterFunc(devicesDelay, func() { b.ctrlDo(b.publishDevicesNow) })
}

// publishDevicesNow publishes bridge/devices (retained).
func (b *Bridge) publishDevicesNow() {
	b.devicesDue = false
	if !b.connected.Load() {
		return
	}
	devs := b.h.Devices()
	out := make([]map[string]any, 0, len(devs)+1)
	if b.netInfo.IEEE != 0 {
		out = append(out, map[string]any{
			"ieee_address": b.netInfo.IEEE.String(), "type": "Coordinator", "network_address": 0,
			"supported": true, "friendly_name": "Coordinator", "disabled": false, "definition": nil,
			"interviewing": false, "interview_completed": true, "interview_state": "SUCCESSFUL", "endpoints": map[string]any{},
		})
	}
	for _, d := range devs {
		if d.Type == "Coordinator" {
			continue
		}
		out = append(out, devicePayload(d))
	}
	b.publish(b.Topic("bridge/devices"), 0, true, marshal(out))
}

// devicePayload is one bridge/devices entry in Zigbee2MQTT's shape.
func devicePayload(d hub.Device) map[string]any {
	eps := map[string]any{}
	for _, e := range d.Endpoints {
		in := make([]string, len(e.InClusters))
		for i, c := range e.InClusters {
			in[i] = zcl.ClusterName(c)
		}
		out := make([]string, len(e.OutClusters))
		for i, c := range e.OutClusters {
			out[i] = zcl.ClusterName(c)
		}
		eps[strconv.Itoa(int(e.ID))] = map[string]any{
			"bindings": []any{}, "configured_reportings": []any{}, "scenes": []any{},
			"clusters": map[string]any{"input": in, "output": out},
		}
	}
	supported := d.Interview.State == hub.InterviewSuccessful && len(d.Definition.Exposes) > 0
	p := map[string]any{
		"ieee_address":        d.IEEE.String(),
		"type":                d.Type,
		"network_address":     int(d.NWK),
		"supported":           supported,
		"friendly_name":       d.FriendlyName,
		"disabled":            d.Disabled,
		"definition":          nil,
		"power_source":        d.PowerSource,
		"software_build_id":   d.SWBuild,
		"date_code":           d.DateCode,
		"model_id":            d.Model,
		"manufacturer":        d.Manufacturer,
		"interviewing":        d.Interview.State == hub.InterviewInProgress,
		"interview_completed": d.Interview.State == hub.InterviewSuccessful,
		"interview_state":     string(d.Interview.State),
		"endpoints":           eps,
	}
	if supported {
		p["definition"] = definitionPayload(d.Definition)
	}
	return p
}

// definitionPayload is a definition in Zigbee2MQTT's shape.
func definitionPayload(def hub.Definition) map[string]any {
	source := "generated" // derived from the clusters
	if def.Source == "quirk" {
		source = "native"
	}
	exposes := def.Exposes
	if exposes == nil {
		exposes = []hub.Expose{}
	}
	return map[string]any{
		"model": def.Model, "vendor": def.Vendor, "description": def.Description,
		"exposes": exposes, "options": []any{}, "supports_ota": false, "source": source,
	}
}
