package mqttbridge_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/mqttbridge"
	"github.com/zhubhq/zhub/hub/mqttbridge/mqtttest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// colorLight is sim.DefaultDevices' colour bulb (its friendly name is its
// address).
var colorLight = sim.DefaultDevices()[0].IEEE

// groupNode is the discovery node id of group 1 under base "zhub": the
// base topic's character codes (z h u b), "_", the id.
const groupNode = "12210411798_1"

// groupEntry is one bridge/groups entry.
type groupEntry struct {
	ID           int    `json:"id"`
	FriendlyName string `json:"friendly_name"`
	Scenes       []any  `json:"scenes"`
	Members      []struct {
		IEEE     string `json:"ieee_address"`
		Endpoint int    `json:"endpoint"`
	} `json:"members"`
}

// waitGroups waits for a bridge/groups message after mark that ok accepts.
func waitGroups(t *testing.T, c *mqtttest.Client, mark int, ok func(map[string]groupEntry) bool) map[string]groupEntry {
	t.Helper()
	var got map[string]groupEntry
	c.WaitAfter(mark, "zhub/bridge/groups", func(m mqtttest.Message) bool {
		var list []groupEntry
		if err := json.Unmarshal(m.Payload, &list); err != nil {
			t.Fatalf("bridge/groups %s: %v", m.Payload, err)
		}
		got = map[string]groupEntry{}
		for _, g := range list {
			if g.Scenes == nil || g.Members == nil {
				t.Fatalf("bridge/groups entry without scenes or members: %s", m.Payload)
			}
			got[g.FriendlyName] = g
		}
		return ok(got)
	})
	return got
}

// wantOK checks a response is ok and returns its data.
func wantOK(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	if r["status"] != "ok" {
		t.Fatalf("response %v, want ok", r)
	}
	return r["data"].(map[string]any)
}

// TestGroups drives a group through its life over MQTT, against the real
// hub on the emulated dongle: create, members, one groupcast switching two
// bulbs, the group's state and Home Assistant entity, rename, member
// removal, removal.
func TestGroups(t *testing.T) {
	e := newEnv(t, envOpts{trace: true})
	c := e.client("tester", "zhub/#", "homeassistant/#")
	waitOnline(t, c, 0)
	ctx := t.Context()

	mark := c.Mark()
	d := wantOK(t, request(t, e, c, "group/add", `{"friendly_name":"living_room","transaction":"a1"}`, "a1"))
	if d["friendly_name"] != "living_room" || d["id"] != float64(1) {
		t.Fatalf("group/add data %v, want living_room with the lowest free id 1", d)
	}
	waitGroups(t, c, mark, func(g map[string]groupEntry) bool { return g["living_room"].ID == 1 })

	mark = c.Mark()
	d = wantOK(t, request(t, e, c, "group/members/add", `{"device":"kitchen_light","group":"living_room","transaction":"m1"}`, "m1"))
	if d["device"] != "kitchen_light" || d["group"] != "living_room" || d["endpoint"] != "default" {
		t.Errorf("members/add data %v", d)
	}
	d = wantOK(t, request(t, e, c, "group/members/add", `{"device":"`+colorLight.String()+`","group":1,"endpoint":1,"transaction":"m2"}`, "m2"))
	if d["device"] != colorLight.String() || d["group"] != float64(1) || d["endpoint"] != float64(1) {
		t.Errorf("members/add data %v", d)
	}
	groups := waitGroups(t, c, mark, func(g map[string]groupEntry) bool { return len(g["living_room"].Members) == 2 })
	var members []string
	for _, m := range groups["living_room"].Members {
		if m.Endpoint != 1 {
			t.Errorf("member %+v, want endpoint 1", m)
		}
		members = append(members, m.IEEE)
	}
	if want := []string{dimmable.String(), colorLight.String()}; !slices.Equal(members, want) {
		t.Errorf("members %v, want %v (sorted by address)", members, want)
	}

	t.Run("discovery", func(t *testing.T) {
		m := c.Wait("homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool {
			if len(m.Payload) == 0 {
				return false
			}
			ids, _ := decode(t, m.Payload)["group"].([]any)
			return len(ids) == 2
		})
		p := decode(t, m.Payload)
		if err := validConfig(m.Topic, p); err != nil {
			t.Errorf("config: %v\n%s", err, m.Payload)
		}
		checks := map[string]any{
			"unique_id": "1_light_zhub", "state_topic": "zhub/living_room", "command_topic": "zhub/living_room/set",
			"schema": "json", "brightness": true, "object_id": "living_room", "default_entity_id": "light.living_room",
		}
		for k, want := range checks {
			if p[k] != want {
				t.Errorf("%s = %v, want %v", k, p[k], want)
			}
		}
		dev := p["device"].(map[string]any)
		coord := e.hub.Status().Network.IEEE.String()
		if ids := dev["identifiers"].([]any); len(ids) != 1 || ids[0] != "zigbee2mqtt_"+groupNode ||
			dev["model"] != "Group" || dev["name"] != "living_room" || dev["via_device"] != "zigbee2mqtt_bridge_"+coord {
			t.Errorf("device block %v", dev)
		}
		var ids []string
		for _, id := range p["group"].([]any) {
			ids = append(ids, id.(string))
		}
		slices.Sort(ids)
		if want := []string{dimmable.String() + "_light_zhub", colorLight.String() + "_light_zhub"}; !slices.Equal(ids, want) {
			t.Errorf("group %v, want the members' light unique ids %v", ids, want)
		}
		// The members' own configs carry those unique ids.
		for _, ieee := range []zigbee.IEEE{dimmable, colorLight} {
			mc := c.Wait("homeassistant/light/"+ieee.String()+"/light/config", func(m mqtttest.Message) bool { return len(m.Payload) > 0 })
			if uid := decode(t, mc.Payload)["unique_id"]; !slices.Contains(ids, uid.(string)) {
				t.Errorf("member %s unique_id %v not in the group's list", ieee, uid)
			}
		}
		// The colour bulb brings colour; a group light never lists
		// "brightness" with other modes.
		modes := p["supported_color_modes"].([]any)
		if !slices.ContainsFunc(modes, func(m any) bool { return m == "xy" || m == "hs" || m == "color_temp" }) {
			t.Errorf("supported_color_modes %v: the colour bulb's modes are missing", modes)
		}
		av := p["availability"].([]any)
		if len(av) != 2 || av[1].(map[string]any)["topic"] != "zhub/living_room/availability" {
			t.Errorf("availability %v", av)
		}
		c.Wait("zhub/living_room/availability", func(m mqtttest.Message) bool {
			return m.Retained || string(m.Payload) == `{"state":"online"}`
		})
	})

	t.Run("set switches both bulbs with one groupcast", func(t *testing.T) {
		for _, n := range []string{"kitchen_light", colorLight.String()} {
			if _, err := e.hub.Set(ctx, n, map[string]any{"state": "OFF"}); err != nil {
				t.Fatal(err)
			}
		}
		tm, cm := e.trace.mark(), c.Mark()
		c.Publish("zhub/living_room/set", 1, false, `{"state":"ON"}`)
		c.WaitAfter(cm, "zhub/living_room", func(m mqtttest.Message) bool {
			return len(m.Payload) > 0 && decode(t, m.Payload)["state"] == "ON"
		})
		// A read sent now reaches each bulb after the group frame (the
		// emulated radio keeps order): both report on.
		for _, ieee := range []zigbee.IEEE{dimmable, colorLight} {
			got, err := e.hub.Get(ctx, ieee.String(), "state")
			if err != nil {
				t.Fatal(err)
			}
			if got["state"] != "ON" {
				t.Errorf("%s state %v after the group /set, want ON", ieee, got["state"])
			}
			info, err := e.net.Device(ctx, ieee)
			if err != nil || !info.OnOff {
				t.Errorf("emulated %s on=%v (%v), want on", ieee, info.OnOff, err)
			}
		}
		// Exactly one On command went out, addressed to group 1.
		var onOff []afRequest
		for i := tm; i < e.trace.mark(); i++ {
			r := e.trace.at(i)
			if r.cluster == 0x0006 && !r.global {
				onOff = append(onOff, r)
			}
		}
		if len(onOff) != 1 || !onOff[0].groupcast || onOff[0].group != 1 || onOff[0].zclCmd != 0x01 {
			t.Errorf("On/Off commands sent: %+v, want one On groupcast to group 1", onOff)
		}
		retained := retainedUnder(t, e, "zhub/living_room")
		if m, ok := retained["zhub/living_room"]; !ok || decode(t, m.Payload)["state"] != "ON" {
			t.Errorf("retained group state %v", retained)
		}

		cm = c.Mark()
		c.Publish("zhub/living_room/set/state", 1, false, "OFF")
		c.WaitAfter(cm, "zhub/living_room", func(m mqtttest.Message) bool {
			return len(m.Payload) > 0 && decode(t, m.Payload)["state"] == "OFF"
		})
		if got, err := e.hub.Get(ctx, "kitchen_light", "state"); err != nil || got["state"] != "OFF" {
			t.Errorf("after /set/state OFF: %v %v", got, err)
		}
	})

	t.Run("command errors", func(t *testing.T) {
		tests := []struct {
			name, topic, payload, want string
		}{
			{"invalid value", "zhub/living_room/set", `{"state":"BLUE"}`, "invalid value"},
			{"property no member has", "zhub/living_room/set", `{"position":50}`, "position"},
			{"get on a group", "zhub/living_room/get", `{"state":""}`, "not supported"},
			{"not json", "zhub/living_room/set", `{"state":`, "invalid payload"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cm := c.Mark()
				c.Publish(tt.topic, 1, false, tt.payload)
				m := c.WaitAfter(cm, "zhub/bridge/event", func(m mqtttest.Message) bool {
					ev := decode(t, m.Payload)
					return ev["type"] == "command_failed" && ev["data"].(map[string]any)["topic"] == tt.topic
				})
				data := decode(t, m.Payload)["data"].(map[string]any)
				if msg, _ := data["error"].(string); !strings.Contains(msg, tt.want) || data["target"] != "living_room" {
					t.Errorf("command_failed %v, want an error containing %q", data, tt.want)
				}
			})
		}
	})

	t.Run("rename", func(t *testing.T) {
		cm := c.Mark()
		d := wantOK(t, request(t, e, c, "group/rename", `{"from":"living_room","to":"lounge","transaction":"r1"}`, "r1"))
		if d["from"] != "living_room" || d["to"] != "lounge" || d["homeassistant_rename"] != false {
			t.Errorf("rename data %v", d)
		}
		c.WaitAfter(cm, "zhub/living_room", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
		c.WaitAfter(cm, "zhub/lounge", func(m mqtttest.Message) bool { return len(m.Payload) > 0 })
		c.WaitAfter(cm, "homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool {
			return len(m.Payload) > 0 && decode(t, m.Payload)["command_topic"] == "zhub/lounge/set"
		})
		waitGroups(t, c, cm, func(g map[string]groupEntry) bool { return g["lounge"].ID == 1 })

		cm = c.Mark()
		d = wantOK(t, request(t, e, c, "group/rename", `{"from":"lounge","to":"living_room","homeassistant_rename":true,"transaction":"r2"}`, "r2"))
		if d["homeassistant_rename"] != true || d["from"] != "lounge" {
			t.Errorf("rename data %v", d)
		}
		// Cleared first, then published under the new name.
		c.WaitAfter(cm, "homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
		c.WaitAfter(cm, "homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool {
			return len(m.Payload) > 0 && decode(t, m.Payload)["object_id"] == "living_room"
		})
	})

	t.Run("members removed", func(t *testing.T) {
		cm := c.Mark()
		d := wantOK(t, request(t, e, c, "group/members/remove", `{"device":"kitchen_light","group":"living_room","transaction":"x1"}`, "x1"))
		if d["device"] != "kitchen_light" || d["group"] != "living_room" || d["endpoint"] != "default" {
			t.Errorf("members/remove data %v", d)
		}
		waitGroups(t, c, cm, func(g map[string]groupEntry) bool { return len(g["living_room"].Members) == 1 })
		c.WaitAfter(cm, "homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool {
			ids, _ := decode(t, m.Payload)["group"].([]any)
			return len(m.Payload) > 0 && len(ids) == 1
		})

		cm = c.Mark()
		d = wantOK(t, request(t, e, c, "group/members/remove_all", `{"device":"`+colorLight.String()+`","transaction":"x2"}`, "x2"))
		if d["device"] != colorLight.String() || d["endpoint"] != "default" {
			t.Errorf("members/remove_all data %v", d)
		}
		waitGroups(t, c, cm, func(g map[string]groupEntry) bool {
			lr, ok := g["living_room"]
			return ok && len(lr.Members) == 0
		})
		// An empty group has no entity.
		c.WaitAfter(cm, "homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
	})

	t.Run("request errors", func(t *testing.T) {
		wantOK(t, request(t, e, c, "group/add", `{"friendly_name":"upstairs","id":42,"transaction":"s1"}`, "s1"))
		wantOK(t, request(t, e, c, "group/members/add", `{"device":"kitchen_light","group":"upstairs","transaction":"s2"}`, "s2"))
		tests := []struct {
			name, request, payload, want string
		}{
			{"add without a name", "group/add", `{"id":3}`, "invalid payload"},
			{"add a name in use by a device", "group/add", `{"friendly_name":"kitchen_light"}`, "kitchen_light"},
			{"add a name in use by a group", "group/add", `{"friendly_name":"upstairs"}`, "upstairs"},
			{"add an id in use", "group/add", `{"friendly_name":"attic","id":42}`, "42"},
			{"add an id out of range", "group/add", `{"friendly_name":"attic","id":65528}`, "invalid payload"},
			{"add a wildcard name", "group/add", `{"friendly_name":"bad+name"}`, "wildcard"},
			{"remove unknown", "group/remove", `{"id":"nope"}`, "Group 'nope' does not exist"},
			{"remove without id", "group/remove", `{"force":true}`, "invalid payload"},
			{"rename unknown", "group/rename", `{"from":"nope","to":"x"}`, "Group 'nope' does not exist"},
			{"rename without to", "group/rename", `{"from":"upstairs"}`, "invalid payload"},
			{"rename bare", "group/rename", `"upstairs"`, "invalid payload"},
			{"rename onto a device name", "group/rename", `{"from":"upstairs","to":"kitchen_light"}`, "kitchen_light"},
			{"rename to a wildcard", "group/rename", `{"from":"upstairs","to":"up#"}`, "wildcard"},
			{"member add unknown group", "group/members/add", `{"device":"kitchen_light","group":"nope"}`, "Group 'nope' does not exist"},
			{"member add unknown device", "group/members/add", `{"device":"nope","group":"upstairs"}`, "Device 'nope' does not exist"},
			{"member add without device", "group/members/add", `{"group":"upstairs"}`, "invalid payload"},
			{"member add without group", "group/members/add", `{"device":"kitchen_light"}`, "invalid payload"},
			{"member add bad endpoint", "group/members/add", `{"device":"kitchen_light","group":"upstairs","endpoint":9}`, "does not have endpoint '9'"},
			{"member add without groups cluster", "group/members/add", `{"device":"` + thSensor.String() + `","group":"upstairs"}`, "failed to add to group"},
			{"member remove unknown group", "group/members/remove", `{"device":"kitchen_light","group":"nope"}`, "Group 'nope' does not exist"},
			{"member remove unknown device", "group/members/remove", `{"device":"nope","group":"upstairs"}`, "Device 'nope' does not exist"},
			{"remove all unknown device", "group/members/remove_all", `{"device":"nope"}`, "Device 'nope' does not exist"},
			{"remove all bare", "group/members/remove_all", `"kitchen_light"`, "invalid payload"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tx := "err" + string(rune('a'+i))
				payload := tt.payload
				if strings.HasPrefix(payload, "{") {
					payload = `{"transaction":"` + tx + `",` + strings.TrimPrefix(payload, "{")
				} else {
					tx = ""
				}
				r := request(t, e, c, tt.request, payload, tx)
				msg, _ := r["error"].(string)
				if r["status"] != "error" || !strings.Contains(msg, tt.want) {
					t.Fatalf("response %v, want an error containing %q", r, tt.want)
				}
				if d, ok := r["data"].(map[string]any); !ok || len(d) != 0 {
					t.Errorf("error response data %v, want {}", r["data"])
				}
				if tx != "" && r["transaction"] != tx {
					t.Errorf("transaction %v, want %s", r["transaction"], tx)
				}
			})
		}
	})

	t.Run("remove", func(t *testing.T) {
		cm := c.Mark()
		d := wantOK(t, request(t, e, c, "group/remove", `{"id":"living_room","transaction":"d1"}`, "d1"))
		if d["id"] != "living_room" || d["force"] != false {
			t.Errorf("remove data %v", d)
		}
		d = wantOK(t, request(t, e, c, "group/remove", `{"id":42,"force":true,"transaction":"d2"}`, "d2"))
		if d["id"] != float64(42) || d["force"] != true {
			t.Errorf("remove by id data %v", d)
		}
		waitGroups(t, c, cm, func(g map[string]groupEntry) bool { return len(g) == 0 })
		c.WaitAfter(cm, "zhub/living_room", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
		c.WaitAfter(cm, "zhub/upstairs/availability", func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
		left := retainedUnder(t, e, "homeassistant/#")
		for topic := range left {
			if strings.Contains(topic, "/12210411798_") && !strings.Contains(topic, "_"+e.hub.Status().Network.IEEE.String()) {
				t.Errorf("group config %s still retained", topic)
			}
		}
	})
}

// TestGroupDiscoveryGC: a group config left retained by an earlier run for
// a group that no longer exists is cleared at start, and a current group's
// config is kept.
func TestGroupDiscoveryGC(t *testing.T) {
	ghost := "homeassistant/light/12210411798_77/light/config"
	e := newEnv(t, envOpts{beforeBridge: func(e *env) {
		if _, err := e.hub.AddGroup(context.Background(), "hall", 0); err != nil {
			t.Fatal(err)
		}
		if err := e.hub.AddGroupMember(context.Background(), "hall", "kitchen_light", 0); err != nil {
			t.Fatal(err)
		}
		p := `{"availability":[{"topic":"zhub/bridge/state"}],"command_topic":"zhub/old_group/set","unique_id":"77_light_zhub"}`
		c := mqtttest.Connect(t, e.broker.URL(), "seeder")
		c.Publish(ghost, 1, true, p)
	}})
	c := e.client("tester", "zhub/#", "homeassistant/#")
	waitOnline(t, c, 0)
	c.Wait(ghost, func(m mqtttest.Message) bool { return len(m.Payload) == 0 })
	live := c.Wait("homeassistant/light/"+groupNode+"/light/config", func(m mqtttest.Message) bool { return len(m.Payload) > 0 })
	if p := decode(t, live.Payload); p["command_topic"] != "zhub/hall/set" {
		t.Errorf("hall config %v", p)
	}
	g := c.Wait("zhub/bridge/groups", nil)
	if !strings.Contains(string(g.Payload), `"friendly_name":"hall"`) {
		t.Errorf("bridge/groups at start: %s", g.Payload)
	}
}

// TestGroupDiscoveryPayload renders group configs without a broker: the
// component follows the members (light, else switch, else none) and the
// light's modes and colour temperature range are what every member can do.
func TestGroupDiscoveryPayload(t *testing.T) {
	e := newEnv(t, envOpts{})
	d := mqttbridge.Discovery{Prefix: "homeassistant", Base: "zhub", CoordinatorIEEE: "0x00124b0000000001", Availability: true}
	devs := map[zigbee.IEEE]hub.Device{}
	for _, dev := range e.hub.Devices() {
		devs[dev.IEEE] = dev
	}
	group := func(ieees ...zigbee.IEEE) (hub.Group, map[zigbee.IEEE]hub.Device) {
		g := hub.Group{ID: 5, Name: "room"}
		m := map[zigbee.IEEE]hub.Device{}
		for _, a := range ieees {
			g.Members = append(g.Members, hub.GroupMember{IEEE: a, Endpoint: 1})
			m[a] = devs[a]
		}
		return g, m
	}
	tests := []struct {
		name      string
		members   []zigbee.IEEE
		component string // "" = no config
		group     int    // member unique ids listed
	}{
		{"empty", nil, "", 0},
		{"lights", []zigbee.IEEE{dimmable, colorLight}, "light", 2},
		{"light and plug", []zigbee.IEEE{dimmable, plug}, "light", 1},
		{"plug only", []zigbee.IEEE{plug}, "switch", 1},
		{"sensor only", []zigbee.IEEE{thSensor}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, m := group(tt.members...)
			msgs := d.Group(g, m)
			if tt.component == "" {
				if len(msgs) != 0 {
					t.Fatalf("configs %v, want none", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Component != tt.component {
				t.Fatalf("configs %+v, want one %s", msgs, tt.component)
			}
			msg := msgs[0]
			if want := "homeassistant/" + tt.component + "/12210411798_5/" + tt.component + "/config"; msg.Topic != want {
				t.Errorf("topic %s, want %s", msg.Topic, want)
			}
			var p map[string]any
			if err := json.Unmarshal(msg.JSON(), &p); err != nil {
				t.Fatal(err)
			}
			if err := validConfig(msg.Topic, p); err != nil {
				t.Errorf("config: %v\n%s", err, msg.JSON())
			}
			if p["unique_id"] != "5_"+tt.component+"_zhub" {
				t.Errorf("unique_id %v", p["unique_id"])
			}
			ids, _ := p["group"].([]any)
			if len(ids) != tt.group {
				t.Errorf("group %v, want %d member ids", ids, tt.group)
			}
			if tt.component == "light" {
				modes := p["supported_color_modes"].([]any)
				if slices.Contains(modes, "brightness") && len(modes) > 1 {
					t.Errorf("modes %v", modes)
				}
				if mn, mx := p["min_mireds"], p["max_mireds"]; (mn == nil) != (mx == nil) || mn != nil && mn.(float64) > mx.(float64) {
					t.Errorf("mireds %v..%v", mn, mx)
				}
			}
		})
	}
}
