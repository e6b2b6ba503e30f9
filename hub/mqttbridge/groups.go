package mqttbridge

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// Zigbee groups on MQTT (interfaces.md §A.1, §A.2, §A.7, §A.8, §B.1,
// §B.2, §B.4 item 6): bridge/groups, a group's state on <base>/<name>,
// /set on a group (one groupcast per ZCL command, hub.SetGroup), the
// group requests, and a Home Assistant light or switch per group.

// groupView is the bridge's view of the hub's groups. byName is read by
// the command path; the rest is owned by the control goroutine.
type groupView struct {
	mu     sync.RWMutex
	byName map[string]bool

	known map[uint16]hub.Group         // as last synced
	disc  map[uint16]map[string]uint64 // discovery topic → payload hash
	avail map[uint16]bool              // availability last published
}

// groupNamed reports whether the bridge knows a group of this name.
func (b *Bridge) groupNamed(name string) bool {
	b.grp.mu.RLock()
	defer b.grp.mu.RUnlock()
	return b.grp.byName[name]
}

// groupsOnConnect publishes bridge/groups, every group's state and
// availability on a new connection (before discovery).
func (b *Bridge) groupsOnConnect() {
	b.grp.avail = nil
	b.syncGroups()
	b.republishGroupStates()
}

// republishGroupStates publishes every group's state (a new connection,
// Home Assistant's birth message).
func (b *Bridge) republishGroupStates() {
	for _, g := range b.h.Groups() {
		if len(g.State) > 0 {
			b.publishGroupState(g.Name, g.State)
		}
	}
}

// groupEvent runs on the control goroutine after handleEvent: the events
// that change what the bridge publishes about groups.
func (b *Bridge) groupEvent(ev hub.Event) {
	switch e := ev.(type) {
	case hub.GroupsChanged:
		b.syncGroups()
	case hub.GroupStateChanged:
		b.publishGroupState(e.Group, e.State)
	case hub.AvailabilityChanged:
		b.publishGroupAvailability(false)
	case hub.InterviewProgress:
		if e.Interview.State == hub.InterviewSuccessful {
			b.discoverGroups() // a member's capabilities may have changed
		}
	case hub.DeviceRemoved:
		b.publishGroupAvailability(false)
	}
}

// syncGroups re-reads the hub's groups: clears what removed and renamed
// groups left retained, then publishes bridge/groups, availability and
// discovery.
func (b *Bridge) syncGroups() {
	groups := b.h.Groups()
	cur := make(map[uint16]hub.Group, len(groups))
	names := make(map[string]bool, len(groups))
	for _, g := range groups {
		cur[g.ID] = g
		names[g.Name] = true
	}
	for id, old := range b.grp.known {
		g, ok := cur[id]
		if ok && g.Name == old.Name {
			continue
		}
		// Removed, or renamed: its old topics go, as for a device.
		if b.connected.Load() {
			b.retained(b.Topic(old.Name), nil)
			b.retained(b.Topic(old.Name+"/availability"), nil)
		}
		delete(b.grp.avail, id)
		if !ok {
			b.clearGroupDiscovery(id)
			b.log.Info("group gone; its retained messages cleared", "event", "group_cleared", "group", old.Name, "group_id", id)
		} else if len(g.State) > 0 {
			b.publishGroupState(g.Name, g.State)
		}
	}
	b.grp.mu.Lock()
	b.grp.byName = names
	b.grp.mu.Unlock()
	b.grp.known = cur
	b.publishGroupList(groups)
	b.publishGroupAvailability(false)
	b.discoverGroups()
}

// publishGroupList publishes bridge/groups (retained), in Zigbee2MQTT's
// shape.
func (b *Bridge) publishGroupList(groups []hub.Group) {
	if !b.connected.Load() {
		return
	}
	b.publish(b.Topic("bridge/groups"), 0, true, marshal(GroupsPayload(groups)))
}

// GroupsPayload is the bridge/groups message: one entry per group with its
// id, friendly name, scenes (none: zhub does not store scenes) and members.
func GroupsPayload(groups []hub.Group) []map[string]any {
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		members := make([]map[string]any, 0, len(g.Members))
		for _, m := range g.Members {
			members = append(members, map[string]any{"ieee_address": m.IEEE.String(), "endpoint": int(m.Endpoint)})
		}
		out = append(out, map[string]any{"id": int(g.ID), "friendly_name": g.Name, "scenes": []any{}, "members": members})
	}
	return out
}

// publishGroupState publishes a group's state on <base>/<name>, retained
// like device states, with what Home Assistant's templates need (colour
// h/s beside hue/saturation, a null state while unknown).
func (b *Bridge) publishGroupState(name string, state map[string]any) {
	if !b.connected.Load() || state == nil {
		return
	}
	s := maps.Clone(state)
	if c, ok := s["color"].(map[string]any); ok {
		c2 := maps.Clone(c)
		if v, ok := c["hue"]; ok {
			c2["h"] = v
		}
		if v, ok := c["saturation"]; ok {
			c2["s"] = v
		}
		s["color"] = c2
	}
	if _, ok := s["state"]; !ok && b.cfg.HADiscovery {
		s["state"] = nil
	}
	b.publish(b.Topic(name), 0, b.cfg.Retain, marshal(s))
}

// republishGroup publishes a group's current state after a /set, as
// Zigbee2MQTT does even when nothing changed (control goroutine).
func (b *Bridge) republishGroup(name string) {
	if g, err := b.h.Group(name); err == nil && len(g.State) > 0 {
		b.publishGroupState(g.Name, g.State)
	}
}

// publishGroupAvailability publishes <base>/<group>/availability where it
// changed (every group when force): online while at least one member
// device is available (interfaces.md §A.8).
func (b *Bridge) publishGroupAvailability(force bool) {
	if !b.connected.Load() {
		return
	}
	if b.grp.avail == nil {
		b.grp.avail = map[uint16]bool{}
	}
	for id, g := range b.grp.known {
		up := false
		for _, m := range g.Members {
			if d, err := b.h.Device(m.IEEE.String()); err == nil && d.Available && !d.Disabled {
				up = true
				break
			}
		}
		if last, ok := b.grp.avail[id]; ok && last == up && !force {
			continue
		}
		b.grp.avail[id] = up
		b.publishAvailability(g.Name, up)
	}
}

// discoverGroups publishes each group's discovery config and clears those
// of groups that are gone or have no entity any more (control goroutine).
func (b *Bridge) discoverGroups() {
	if !b.cfg.HADiscovery || b.disc.CoordinatorIEEE == "" || !b.connected.Load() {
		return
	}
	if b.grp.disc == nil {
		b.grp.disc = map[uint16]map[string]uint64{}
	}
	live := map[uint16]bool{}
	for _, g := range b.h.Groups() {
		live[g.ID] = true
		devs := make(map[zigbee.IEEE]hub.Device, len(g.Members))
		for _, m := range g.Members {
			if _, ok := devs[m.IEEE]; ok {
				continue
			}
			if d, err := b.h.Device(m.IEEE.String()); err == nil {
				devs[m.IEEE] = d
			}
		}
		known := b.grp.disc[g.ID]
		if known == nil {
			known = map[string]uint64{}
			b.grp.disc[g.ID] = known
		}
		seen := map[string]bool{}
		for _, m := range b.disc.Group(g, devs) {
			seen[m.Topic] = true
			payload := m.JSON()
			h := hash(payload)
			if old, ok := known[m.Topic]; ok && old == h {
				continue
			}
			known[m.Topic] = h
			b.retained(m.Topic, payload)
		}
		for topic := range known {
			if !seen[topic] {
				b.retained(topic, nil)
				delete(known, topic)
			}
		}
	}
	for id := range b.grp.disc {
		if !live[id] {
			b.clearGroupDiscovery(id)
		}
	}
}

// clearGroupDiscovery clears every config of a group (removal, rename
// with homeassistant_rename).
func (b *Bridge) clearGroupDiscovery(id uint16) {
	for topic := range b.grp.disc[id] {
		if b.connected.Load() {
			b.retained(topic, nil)
		}
	}
	delete(b.grp.disc, id)
}

// isGroupConfig reports whether topic is a current group config (for the
// stale-config collection).
func (b *Bridge) isGroupConfig(topic string) bool {
	for _, m := range b.grp.disc {
		if _, ok := m[topic]; ok {
			return true
		}
	}
	return false
}

// --- commands

// groupTarget returns the group a /set or /get target names, looking at
// the hub when the bridge's view does not know it (a group created a
// moment ago). It is consulted first for the bridge's known names, and
// after a device lookup failed for the others.
func (b *Bridge) groupTarget(target string) (string, bool) {
	if b.groupNamed(target) {
		return target, true
	}
	g, err := b.h.Group(target)
	if err != nil || g.Name != target {
		return "", false // an id is not a topic name
	}
	return g.Name, true
}

// execGroupCommand runs a /set on a group: hub.SetGroup sends each ZCL
// command once, as a groupcast, and the group's state is published.
func (b *Bridge) execGroupCommand(ctx context.Context, t Topic, topic, name string, payload []byte) error {
	start := time.Now()
	if t.Kind == TopicGet {
		return fmt.Errorf("mqttbridge: %s: %w: /get on a group (read its members instead)", topic, ErrNotSupported)
	}
	values, err := ParseSetPayload(t.Property, payload)
	if err != nil {
		return fmt.Errorf("mqttbridge: %s: %w", topic, err)
	}
	if b.cfg.HADiscovery && redundantOn(values, "") {
		if g, err := b.h.Group(name); err == nil && g.State["state"] == "ON" {
			delete(values, "state")
		}
	}
	if len(values) == 0 {
		return nil
	}
	if _, err := b.h.SetGroup(ctx, name, values); err != nil {
		return err
	}
	b.ctrlDo(func() { b.republishGroup(name) })
	b.log.Debug("group set done", "event", "group_set_done", "group", name, "topic", topic, "elapsed_ms", ms(time.Since(start)))
	return nil
}

// --- requests (interfaces.md §A.7)

// refString renders a group or device reference given as a string or a
// whole number.
func refString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		return s, s != ""
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), true
		}
	}
	return "", false
}

// maxGroupID is the last application group id (ZCL 8 §3.6: 0xFFF8 and up
// are reserved).
const maxGroupID = 0xFFF7

func (b *Bridge) reqGroupAdd(ctx context.Context, r Request) (map[string]any, error) {
	const want = `want {"friendly_name": "<name>", "id": <1..65527>} or the bare name`
	var name string
	var id int64
	if r.Object != nil {
		n, ok := r.Object["friendly_name"].(string)
		if !ok || strings.TrimSpace(n) == "" {
			return nil, invalid(want)
		}
		name = strings.TrimSpace(n)
		if raw, ok := r.Object["id"]; ok && raw != nil && raw != "" {
			v, ok := intValue(raw)
			if !ok || v < 1 || v > maxGroupID {
				return nil, invalid("id must be a whole number from 1 to %d, got %v", maxGroupID, raw)
			}
			id = v
		}
	} else {
		s, ok := r.String("", true)
		if !ok {
			return nil, invalid(want)
		}
		name = s
	}
	if err := ValidName(name); err != nil {
		return nil, err
	}
	g, err := b.h.AddGroup(ctx, name, uint16(id))
	if err != nil {
		return nil, err
	}
	return map[string]any{"friendly_name": g.Name, "id": int(g.ID)}, nil
}

func (b *Bridge) reqGroupRemove(ctx context.Context, r Request) (map[string]any, error) {
	raw := r.Bare
	if r.Object != nil {
		raw = r.Object["id"]
	}
	ref, ok := refString(raw)
	if !ok {
		return nil, invalid(`want {"id": "<group name or id>", "force": false} or the group`)
	}
	g, err := b.h.Group(ref)
	if err != nil {
		return nil, err
	}
	force := r.Bool("force")
	if err := b.h.RemoveGroup(ctx, g.Name, force); err != nil {
		return nil, fmt.Errorf("failed to remove group '%s' (force: %t): %w", g.Name, force, err)
	}
	return map[string]any{"id": raw, "force": force}, nil
}

func (b *Bridge) reqGroupRename(ctx context.Context, r Request) (map[string]any, error) {
	if r.Object == nil {
		return nil, invalid(`want {"from": "<group>", "to": "<new name>"}`)
	}
	to, ok := r.Object["to"].(string)
	if !ok {
		return nil, invalid(`"to" must be the new name`)
	}
	to = strings.TrimSpace(to)
	from, ok := refString(r.Object["from"])
	if !ok {
		return nil, invalid(`"from" must name the group`)
	}
	if err := ValidName(to); err != nil {
		return nil, err
	}
	g, err := b.h.Group(from)
	if err != nil {
		return nil, err
	}
	haRename := r.Bool("homeassistant_rename")
	if haRename && b.cfg.HADiscovery && g.Name != to {
		// As for a device: clear the configs first so that Home Assistant
		// deletes the entity and derives its new id from the new name.
		done := make(chan struct{})
		b.ctrlDo(func() { b.clearGroupDiscovery(g.ID); close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-time.After(b.cfg.HARenameDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := b.h.RenameGroup(ctx, g.Name, to); err != nil {
		return nil, err
	}
	return map[string]any{"from": g.Name, "to": to, "homeassistant_rename": haRename}, nil
}

// memberRequest is a parsed group/members/* request.
type memberRequest struct {
	device   hub.Device
	group    hub.Group
	endpoint uint8
	// echo holds the request's device, group and endpoint as given
	// ("default" for an absent endpoint), for the response.
	echo map[string]any
}

// parseMemberRequest reads {"device", "group", "endpoint"?}; withGroup is
// false for remove_all, which names no group.
func (b *Bridge) parseMemberRequest(r Request, withGroup bool) (memberRequest, error) {
	var mr memberRequest
	if r.Object == nil {
		return mr, invalid(`want {"device": "<device>", "group": "<group>", "endpoint": <n>}`)
	}
	devRef, ok := refString(r.Object["device"])
	if !ok {
		return mr, invalid(`"device" must name the device`)
	}
	mr.echo = map[string]any{"device": r.Object["device"]}
	if withGroup {
		ref, ok := refString(r.Object["group"])
		if !ok {
			return mr, invalid(`"group" must name the group`)
		}
		mr.echo["group"] = r.Object["group"]
		g, err := b.h.Group(ref)
		if err != nil {
			return mr, err
		}
		mr.group = g
	}
	d, err := b.h.Device(devRef)
	if err != nil {
		return mr, err
	}
	mr.device = d
	raw, given := r.Object["endpoint"]
	if !given || raw == nil {
		mr.echo["endpoint"] = "default"
		return mr, nil
	}
	mr.echo["endpoint"] = raw
	ep, ok := endpointNumber(raw)
	if !ok {
		return mr, fmt.Errorf("Device '%s' does not have endpoint '%v'", d.FriendlyName, raw)
	}
	if ep != 0 && !slices.ContainsFunc(d.Endpoints, func(e hub.Endpoint) bool { return uint8(e.ID) == ep }) {
		return mr, fmt.Errorf("Device '%s' does not have endpoint '%v'", d.FriendlyName, raw)
	}
	mr.endpoint = ep
	return mr, nil
}

// endpointNumber reads an endpoint given as a number, a numeric string,
// zhub's endpoint name "l<n>", or "default" (0: the hub picks).
func endpointNumber(v any) (uint8, bool) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "default" {
			return 0, true
		}
		v = strings.TrimPrefix(s, "l")
	}
	n, ok := intValue(v)
	if !ok || n < 1 || n > 240 {
		return 0, false
	}
	return uint8(n), true
}

func (b *Bridge) reqGroupMembersAdd(ctx context.Context, r Request) (map[string]any, error) {
	mr, err := b.parseMemberRequest(r, true)
	if err != nil {
		return nil, err
	}
	if err := b.h.AddGroupMember(ctx, mr.group.Name, mr.device.FriendlyName, mr.endpoint); err != nil {
		return nil, fmt.Errorf("failed to add to group (%w)", err)
	}
	return mr.echo, nil
}

func (b *Bridge) reqGroupMembersRemove(ctx context.Context, r Request) (map[string]any, error) {
	mr, err := b.parseMemberRequest(r, true)
	if err != nil {
		return nil, err
	}
	if err := b.h.RemoveGroupMember(ctx, mr.group.Name, mr.device.FriendlyName, mr.endpoint); err != nil {
		return nil, fmt.Errorf("failed to remove from group (%w)", err)
	}
	return mr.echo, nil
}

func (b *Bridge) reqGroupMembersRemoveAll(ctx context.Context, r Request) (map[string]any, error) {
	mr, err := b.parseMemberRequest(r, false)
	if err != nil {
		return nil, err
	}
	if err := b.h.RemoveFromAllGroups(ctx, mr.device.FriendlyName, mr.endpoint); err != nil {
		return nil, fmt.Errorf("failed to remove from all groups (%w)", err)
	}
	return mr.echo, nil
}

// --- Home Assistant discovery

// GroupNodeID is Zigbee2MQTT's discovery node id of a group: the base
// topic's character codes, "_", the group id.
func (d Discovery) GroupNodeID(id uint16) string {
	return d.encodedBase() + "_" + strconv.Itoa(int(id))
}

// GroupIdentifier is the Home Assistant device registry identifier
// Zigbee2MQTT gives a group ("zigbee2mqtt_<encoded base>_<id>").
func (d Discovery) GroupIdentifier(id uint16) string {
	return "zigbee2mqtt_" + d.GroupNodeID(id)
}

// Group returns a group's discovery config: a light when a member exposes
// a light (JSON schema; brightness when a member dims; the colour modes
// the members support; the colour temperature range they share), else a
// switch when a member has an on/off switch, else nothing. An empty group
// has none, as in Zigbee2MQTT. The config's "group" field lists the
// members' own entities (Home Assistant's MQTT entity grouping). devices
// holds the member devices by address.
func (d Discovery) Group(g hub.Group, devices map[zigbee.IEEE]hub.Device) []DiscoveryMessage {
	if len(g.Members) == 0 {
		return nil
	}
	var lights []hub.Expose
	hasSwitch := false
	seen := map[zigbee.IEEE]bool{}
	for _, m := range g.Members {
		dev, ok := devices[m.IEEE]
		if !ok || seen[m.IEEE] || dev.Interview.State != hub.InterviewSuccessful {
			continue
		}
		seen[m.IEEE] = true
		for _, x := range dev.Definition.Exposes {
			switch x.Type {
			case "light":
				lights = append(lights, x)
			case "switch":
				if feature(x, "state") != nil {
					hasSwitch = true
				}
			}
		}
	}
	var e entry
	switch {
	case len(lights) > 0:
		e = groupLightEntry(lights)
	case hasSwitch:
		e = entry{typ: "switch", objectID: "switch", p: map[string]any{
			"name": nil, "payload_off": "OFF", "payload_on": "ON", "value_template": valueTemplate("state"),
		}}
	default:
		return nil
	}
	topic := d.Base + "/" + g.Name
	p := e.p
	p["state_topic"] = topic
	p["command_topic"] = topic + "/set"
	objectID := suggestedObjectID(g.Name, e.typ, e.objectID)
	p["object_id"] = objectID
	p["default_entity_id"] = e.typ + "." + objectID
	p["unique_id"] = d.UniqueID(strconv.Itoa(int(g.ID)), e.objectID)
	p["device"] = map[string]any{
		"identifiers":  []string{d.GroupIdentifier(g.ID)},
		"name":         g.Name,
		"model":        "Group",
		"manufacturer": "zhub",
		"via_device":   d.BridgeIdentifier(),
	}
	p["origin"] = d.origin()
	tpl := "{{ value_json.state }}"
	avail := []map[string]any{{"topic": d.Base + "/bridge/state", "value_template": tpl}}
	if d.Availability {
		avail = append(avail, map[string]any{"topic": topic + "/availability", "value_template": tpl})
		p["availability_mode"] = "all"
	}
	p["availability"] = avail
	var ids []string
	for _, m := range g.Members {
		if id := d.memberUniqueID(devices[m.IEEE], m.Endpoint, e.typ); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		p["group"] = ids
	}
	return []DiscoveryMessage{{
		Component: e.typ,
		ObjectID:  e.objectID,
		Topic:     d.Prefix + "/" + e.typ + "/" + d.GroupNodeID(g.ID) + "/" + e.objectID + "/config",
		Payload:   p,
	}}
}

// groupLightEntry is the light of a group of lights, as Zigbee2MQTT
// renders it: brightness when any member dims, xy (hs when a member
// prefers it) and color_temp when any member has them, the colour
// temperature range every member supports. Effects are left out: a group
// command has no per-member answer to say which bulbs know one.
func groupLightEntry(lights []hub.Expose) entry {
	var bri, xy, hs, preferHS, ct bool
	var minMireds, maxMireds *float64
	for _, x := range lights {
		if feature(x, "brightness") != nil {
			bri = true
		}
		ix, ih := featureIndex(x, "color_xy"), featureIndex(x, "color_hs")
		xy = xy || ix >= 0
		hs = hs || ih >= 0
		if ix >= 0 && ih >= 0 && ih < ix {
			preferHS = true
		}
		if f := feature(x, "color_temp"); f != nil {
			ct = true
			if f.ValueMin != nil && (minMireds == nil || *f.ValueMin > *minMireds) {
				minMireds = f.ValueMin
			}
			if f.ValueMax != nil && (maxMireds == nil || *f.ValueMax < *maxMireds) {
				maxMireds = f.ValueMax
			}
		}
	}
	var modes []string
	if xy && !preferHS {
		modes = append(modes, "xy")
	}
	if (!xy || preferHS) && hs {
		modes = append(modes, "hs")
	}
	if ct {
		modes = append(modes, "color_temp")
	}
	if len(modes) == 0 {
		modes = []string{"brightness"}
	}
	p := map[string]any{
		"name": nil, "schema": "json", "brightness": bri, "brightness_scale": 254, "supported_color_modes": modes,
	}
	if ct && minMireds != nil && maxMireds != nil {
		p["min_mireds"], p["max_mireds"] = num(*minMireds), num(*maxMireds)
	}
	return entry{typ: "light", objectID: "light", p: p}
}

// memberUniqueID is the unique id of the member device's own entity of
// component typ on endpoint ep: the per-endpoint entity ("light_l2") of a
// multi-endpoint device, else its one entity when ep has the On/Off
// cluster; "" when it has none.
func (d Discovery) memberUniqueID(dev hub.Device, ep uint8, typ string) string {
	if dev.Interview.State != hub.InterviewSuccessful {
		return ""
	}
	epName := "l" + strconv.Itoa(int(ep))
	single := false
	for _, x := range dev.Definition.Exposes {
		if x.Type != typ {
			continue
		}
		if x.Endpoint == epName {
			return d.UniqueID(dev.IEEE.String(), typ+"_"+epName)
		}
		if x.Endpoint == "" {
			single = true
		}
	}
	if !single {
		return ""
	}
	for _, e := range dev.Endpoints {
		if uint8(e.ID) == ep && slices.Contains(e.InClusters, zcl.ClusterOnOff) {
			return d.UniqueID(dev.IEEE.String(), typ)
		}
	}
	return ""
}
