package hub

// Zigbee groups: a group id with a friendly name and member device
// endpoints. SetGroup sends each ZCL command once, as an APS groupcast, so
// every member switches at the same time.
//
// Design choices:
//   - Persistence is an optional extension of Store: a Store that also
//     implements GroupStore (hub/hubstore does) keeps the groups, and its
//     SaveGroups takes the whole set, so there is no DeleteGroup and a
//     whole set cannot be written in an order that clashes on names. A
//     Store without it keeps groups in memory only.
//   - Errors: "name taken" is ErrDuplicateName, "invalid" ErrInvalidName
//     (names) or ErrInvalidValue (ids, endpoints), "no response" a
//     *CommandError with ErrTimeout or ErrNotDelivered. ErrUnknownGroup
//     (*UnknownGroupError), ErrNotSupported and ErrEmptyGroup are new.
//   - Group names must not read as a group id ("5", "0x1A") or an IEEE
//     address, so that Group(nameOrID) and new devices' default names
//     are never ambiguous.
//   - RemoveGroupMember sends Remove Group even when the hub has no such
//     membership (it clears what the device may hold) and succeeds.

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// MaxGroupID is the highest Zigbee application group id (the Groups
// cluster's range is 0x0001–0xFFF7; the ids above are reserved).
const MaxGroupID = 0xFFF7

// maxEndpoint is the highest application endpoint.
const maxEndpoint = 240

// groupSet holds the hub's groups. byID is guarded by Hub.mu; save orders
// the writes of the set to the store, each one a snapshot taken under it,
// so a later change is never overwritten by an earlier one.
type groupSet struct {
	byID map[uint16]*group
	save sync.Mutex
	// hold is set (under Hub.mu) while SetGroup applies its values to the
	// members, so that the groups' derived state is computed once, after.
	hold bool
}

// group is the hub's record of one group, guarded by Hub.mu. state is
// copy-on-write, as a device's is.
type group struct {
	id      uint16
	name    string
	created time.Time
	members []member // sorted by IEEE address, then endpoint
	state   map[string]any
}

type member struct {
	ieee zigbee.IEEE
	ep   zigbee.Endpoint
}

func compareMember(a, b member) int {
	switch {
	case a.ieee != b.ieee:
		if a.ieee < b.ieee {
			return -1
		}
		return 1
	case a.ep != b.ep:
		return int(a.ep) - int(b.ep)
	}
	return 0
}

// add inserts m in order; it reports false when m was a member already.
func (g *group) add(m member) bool {
	i, found := slices.BinarySearchFunc(g.members, m, compareMember)
	if found {
		return false
	}
	g.members = slices.Insert(g.members, i, m)
	return true
}

// drop removes the memberships of ieee that keep accepts (nil: all) and
// reports whether any was removed.
func (g *group) drop(ieee zigbee.IEEE, keep func(zigbee.Endpoint) bool) bool {
	n := len(g.members)
	g.members = slices.DeleteFunc(g.members, func(m member) bool {
		return m.ieee == ieee && (keep == nil || !keep(m.ep))
	})
	return len(g.members) != n
}

func (g *group) has(ieee zigbee.IEEE) bool {
	for _, m := range g.members {
		if m.ieee == ieee {
			return true
		}
	}
	return false
}

// endpointsOf returns the endpoints of ieee that are members.
func (g *group) endpointsOf(ieee zigbee.IEEE) []zigbee.Endpoint {
	var out []zigbee.Endpoint
	for _, m := range g.members {
		if m.ieee == ieee {
			out = append(out, m.ep)
		}
	}
	return out
}

// Groups returns a snapshot of every group, ordered by name.
func (h *Hub) Groups() []Group {
	h.mu.Lock()
	out := make([]Group, 0, len(h.groups.byID))
	for _, g := range h.groups.byID {
		out = append(out, h.groupSnapshotLocked(g))
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Group returns one group by friendly name, or by id in decimal or "0x"
// hex. An unknown group is an *UnknownGroupError (ErrUnknownGroup), with
// a suggestion when a name is close.
func (h *Hub) Group(nameOrID string) (Group, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, err := h.lookupGroupLocked(nameOrID)
	if err != nil {
		return Group{}, err
	}
	return h.groupSnapshotLocked(g), nil
}

// AddGroup creates a group. id 0 takes the lowest free id; otherwise it
// must be free and at most MaxGroupID (ErrInvalidValue). The name follows
// the rules of device names (ErrInvalidName), must not read as a group id
// or an IEEE address, and must not be taken by a device or another group
// (ErrDuplicateName). Nothing is sent to the network: members join with
// AddGroupMember. The group is stored before AddGroup returns;
// GroupsChanged is published.
func (h *Hub) AddGroup(ctx context.Context, name string, id uint16) (Group, error) {
	if err := validGroupName(name); err != nil {
		return Group{}, err
	}
	if id > MaxGroupID {
		return Group{}, errorf("add group %s: %w: id %d is above %d", name, ErrInvalidValue, id, MaxGroupID)
	}
	if err := h.checkLoaded("add group " + name); err != nil {
		return Group{}, err
	}
	h.mu.Lock()
	if err := h.nameFreeLocked(name, nil); err != nil {
		h.mu.Unlock()
		return Group{}, errorf("add group %s: %w", name, err)
	}
	if id == 0 {
		if id = h.freeGroupIDLocked(); id == 0 {
			h.mu.Unlock()
			return Group{}, errorf("add group %s: %w: every group id is taken", name, ErrInvalidValue)
		}
	} else if other := h.groups.byID[id]; other != nil {
		h.mu.Unlock()
		return Group{}, errorf("add group %s: %w: id %d is taken by group %s", name, ErrInvalidValue, id, other.name)
	}
	if h.groups.byID == nil {
		h.groups.byID = map[uint16]*group{}
	}
	g := &group{id: id, name: name, created: h.now()}
	h.groups.byID[id] = g
	snap := h.groupSnapshotLocked(g)
	h.bus.publish(GroupsChanged{})
	h.mu.Unlock()
	h.log.Info("group added", "event", "group_added", "group", name, "group_id", id)
	if err := h.saveGroups(ctx); err != nil {
		return snap, errorf("add group %s: added, but not stored: %w", name, err)
	}
	return snap, nil
}

// RenameGroup gives a group a new friendly name (from may be its name or
// id), under the rules of AddGroup. GroupsChanged is published and the
// new name stored before it returns.
func (h *Hub) RenameGroup(ctx context.Context, from, to string) error {
	if err := validGroupName(to); err != nil {
		return err
	}
	if err := h.checkLoaded("rename group " + from); err != nil {
		return err
	}
	h.mu.Lock()
	g, err := h.lookupGroupLocked(from)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	old := g.name
	if old == to {
		h.mu.Unlock()
		return nil
	}
	if err := h.nameFreeLocked(to, g); err != nil {
		h.mu.Unlock()
		return errorf("rename group %s to %q: %w", old, to, err)
	}
	g.name = to
	h.bus.publish(GroupsChanged{})
	h.mu.Unlock()
	h.log.Info("group renamed", "event", "group_renamed", "group_id", g.id, "from", old, "to", to)
	if err := h.saveGroups(ctx); err != nil {
		return errorf("rename group %s to %q: renamed, but not stored: %w", old, to, err)
	}
	return nil
}

// RemoveGroup removes a group. It first sends ZCL Remove Group to every
// member endpoint (in parallel); a member that does not answer or refuses
// fails the call and the group stays, without the members that did
// confirm (a device that answers NOT_FOUND counts as done). With force the
// group is removed whatever the members answer, and nothing is sent when
// the network is down. GroupsChanged is published.
func (h *Hub) RemoveGroup(ctx context.Context, name string, force bool) error {
	if err := h.checkLoaded("remove group " + name); err != nil {
		return err
	}
	h.mu.Lock()
	g, err := h.lookupGroupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	id, gname := g.id, g.name
	type send struct {
		t   target
		ep  zigbee.Endpoint
		err error
	}
	sends := make([]send, 0, len(g.members))
	for _, m := range g.members {
		if d := h.devs[m.ieee]; d != nil {
			sends = append(sends, send{t: h.targetOf(d), ep: m.ep})
		}
	}
	h.mu.Unlock()

	op := "remove from group " + gname
	running := h.checkRunning(gname, "remove group")
	if running != nil && !force && len(sends) > 0 {
		return fmt.Errorf("%w (use force to remove it anyway)", running)
	}
	if running == nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8) // the coordinator's queue is the real limit
		for i := range sends {
			s := &sends[i]
			wg.Go(func() {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					s.err = ctx.Err()
					return
				}
				defer func() { <-sem }()
				s.err = h.groupsCommand(ctx, s.t, op, s.ep, zcl.CmdGroupsRemove, zcl.GroupID{GroupID: id}, zcl.StatusNotFound)
			})
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var firstErr error
	failed := 0
	for _, s := range sends {
		if s.err != nil {
			failed++
			if firstErr == nil {
				firstErr = s.err
			}
		}
	}

	h.mu.Lock()
	g = h.groups.byID[id]
	if g == nil { // removed meanwhile
		h.mu.Unlock()
		return nil
	}
	if failed > 0 && !force {
		changed := false
		for _, s := range sends {
			if s.err == nil && g.drop(s.t.ieee, func(ep zigbee.Endpoint) bool { return ep != s.ep }) {
				changed = true
			}
		}
		if changed {
			h.bus.publish(GroupsChanged{})
		}
		h.mu.Unlock()
		if changed {
			if err := h.saveGroups(ctx); err != nil {
				h.log.Warn("group members not stored", "event", "store_groups_failed", "group", gname, "err", err)
			}
		}
		return fmt.Errorf("%w (%d of %d members did not confirm; use force to remove the group anyway)", firstErr, failed, len(sends))
	}
	delete(h.groups.byID, id)
	h.bus.publish(GroupsChanged{})
	h.mu.Unlock()
	h.log.Info("group removed", "event", "group_removed", "group", gname, "group_id", id, "force", force,
		"members_unconfirmed", failed)
	if err := h.saveGroups(ctx); err != nil {
		return errorf("remove group %s: removed, but not from the store: %w", gname, err)
	}
	return nil
}

// lockMembership is the start of a membership change: the groups are
// loaded, the group and the device exist. On success it returns with h.mu
// held; on error h.mu is not held. verb names the operation in errors.
func (h *Hub) lockMembership(verb, groupName, deviceName string) (*group, *device, error) {
	if err := h.checkLoaded(verb + groupName); err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	g, err := h.lookupGroupLocked(groupName)
	if err == nil {
		var d *device
		if d, err = h.lookupLocked(deviceName); err == nil {
			return g, d, nil
		}
	}
	h.mu.Unlock()
	return nil, nil, err
}

// AddGroupMember adds a device endpoint to a group: it sends ZCL Add Group
// to the device and requires SUCCESS or DUPLICATE_EXISTS in the response.
// endpoint 0 means the device's first endpoint with the Groups server
// cluster; an endpoint without it is ErrNotSupported. Unknown devices are
// *UnknownDeviceError, unknown groups *UnknownGroupError, a device that
// does not answer a *CommandError. Adding a member again is not an error.
// GroupsChanged is published when the membership is new.
func (h *Hub) AddGroupMember(ctx context.Context, groupName, device string, endpoint uint8) error {
	g, d, err := h.lockMembership("add to group ", groupName, device)
	if err != nil {
		return err
	}
	op := "add to group " + g.name
	ep, err := groupsEndpoint(d, zigbee.Endpoint(endpoint), op)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	id, gname, t := g.id, g.name, h.targetOf(d)
	h.mu.Unlock()

	if err := h.checkRunning(t.name, op); err != nil {
		return err
	}
	if err := h.groupsCommand(ctx, t, op, ep, zcl.CmdGroupsAdd, zcl.GroupName{GroupID: id}, zcl.StatusDuplicateExists); err != nil {
		return err
	}
	h.mu.Lock()
	g = h.groups.byID[id]
	if g == nil {
		h.mu.Unlock()
		return &UnknownGroupError{Name: gname}
	}
	if h.devs[t.ieee] == nil {
		h.mu.Unlock()
		return &UnknownDeviceError{Name: t.name}
	}
	added := g.add(member{t.ieee, ep})
	if added {
		h.bus.publish(GroupsChanged{})
	}
	h.mu.Unlock()
	if !added {
		return nil
	}
	h.log.Info("group member added", "event", "group_member_added", "group", gname, "device", t.name,
		"ieee", t.ieee.String(), "endpoint", int(ep))
	if err := h.saveGroups(ctx); err != nil {
		return errorf("%s: %s: added, but not stored: %w", t.name, op, err)
	}
	return nil
}

// RemoveGroupMember removes a device endpoint from a group with ZCL Remove
// Group (a device answering NOT_FOUND counts as done). endpoint 0 means
// every endpoint of the device in the group, or its first endpoint with
// the Groups cluster when it has none there. A device that does not answer
// is a *CommandError and stays a member. GroupsChanged is published when a
// membership was dropped.
func (h *Hub) RemoveGroupMember(ctx context.Context, groupName, device string, endpoint uint8) error {
	g, d, err := h.lockMembership("remove from group ", groupName, device)
	if err != nil {
		return err
	}
	op := "remove from group " + g.name
	eps := g.endpointsOf(d.ieee)
	if endpoint != 0 {
		eps = []zigbee.Endpoint{zigbee.Endpoint(endpoint)}
		if !slices.Contains(g.endpointsOf(d.ieee), eps[0]) {
			if _, err := groupsEndpoint(d, eps[0], op); err != nil {
				h.mu.Unlock()
				return err
			}
		}
	} else if len(eps) == 0 {
		ep, err := groupsEndpoint(d, 0, op)
		if err != nil {
			h.mu.Unlock()
			return err
		}
		eps = []zigbee.Endpoint{ep}
	}
	id, gname, t := g.id, g.name, h.targetOf(d)
	h.mu.Unlock()

	if err := h.checkRunning(t.name, op); err != nil {
		return err
	}
	for _, ep := range eps {
		if err := h.groupsCommand(ctx, t, op, ep, zcl.CmdGroupsRemove, zcl.GroupID{GroupID: id}, zcl.StatusNotFound); err != nil {
			return err
		}
	}
	h.mu.Lock()
	dropped := false
	if g := h.groups.byID[id]; g != nil {
		dropped = g.drop(t.ieee, func(ep zigbee.Endpoint) bool { return !slices.Contains(eps, ep) })
	}
	if dropped {
		h.bus.publish(GroupsChanged{})
	}
	h.mu.Unlock()
	if !dropped {
		return nil
	}
	h.log.Info("group member removed", "event", "group_member_removed", "group", gname, "device", t.name,
		"ieee", t.ieee.String())
	if err := h.saveGroups(ctx); err != nil {
		return errorf("%s: %s: removed, but not stored: %w", t.name, op, err)
	}
	return nil
}

// RemoveFromAllGroups sends ZCL Remove All Groups to a device endpoint and
// drops its memberships. endpoint 0 means every endpoint of the device
// that is a member of a group, or, when none is, every endpoint with the
// Groups cluster (clearing what another controller may have left). A
// device that does not answer is a *CommandError; memberships of the
// endpoints done before it are dropped.
func (h *Hub) RemoveFromAllGroups(ctx context.Context, device string, endpoint uint8) error {
	if err := h.checkLoaded("remove from all groups"); err != nil {
		return err
	}
	const op = "remove from all groups"
	h.mu.Lock()
	d, err := h.lookupLocked(device)
	if err != nil {
		h.mu.Unlock()
		return err
	}
	var eps []zigbee.Endpoint
	if endpoint != 0 {
		ep := zigbee.Endpoint(endpoint)
		if !h.memberAnywhereLocked(d.ieee, ep) {
			if _, err := groupsEndpoint(d, ep, op); err != nil {
				h.mu.Unlock()
				return err
			}
		}
		eps = []zigbee.Endpoint{ep}
	} else {
		for _, g := range h.groups.byID {
			for _, ep := range g.endpointsOf(d.ieee) {
				if !slices.Contains(eps, ep) {
					eps = append(eps, ep)
				}
			}
		}
		if len(eps) == 0 {
			for _, e := range d.endpoints {
				if slices.Contains(e.InClusters, zcl.ClusterGroups) {
					eps = append(eps, e.ID)
				}
			}
		}
		if len(eps) == 0 {
			h.mu.Unlock()
			return errorf("%s: %s: %w: no endpoint with the Groups cluster", d.name, op, ErrNotSupported)
		}
		slices.Sort(eps)
	}
	t := h.targetOf(d)
	h.mu.Unlock()

	if err := h.checkRunning(t.name, op); err != nil {
		return err
	}
	var done []zigbee.Endpoint
	var sendErr error
	for _, ep := range eps {
		if sendErr = h.groupsCommand(ctx, t, op, ep, zcl.CmdGroupsRemoveAll, nil); sendErr != nil {
			break
		}
		done = append(done, ep)
	}
	h.mu.Lock()
	dropped := false
	for _, g := range h.groups.byID {
		if g.drop(t.ieee, func(ep zigbee.Endpoint) bool { return !slices.Contains(done, ep) }) {
			dropped = true
		}
	}
	if dropped {
		h.bus.publish(GroupsChanged{})
	}
	h.mu.Unlock()
	if dropped {
		h.log.Info("device removed from all groups", "event", "group_member_removed", "device", t.name, "ieee", t.ieee.String())
		if err := h.saveGroups(ctx); err != nil && sendErr == nil {
			return errorf("%s: %s: removed, but not stored: %w", t.name, op, err)
		}
	}
	return sendErr
}

// SetGroup changes properties of every member at once, Zigbee2MQTT style:
//
//	h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "brightness": 100})
//
// Values take the names and forms of Set and are validated against the
// union of the members' capabilities on their member endpoints (a
// property no member has is a *PropertyError naming it; numeric ranges
// are the widest of the members'). An empty group is ErrEmptyGroup. Each
// resulting ZCL command is sent once, as a groupcast to the group id; no
// device confirms a groupcast, so the result is optimistic: SetGroup
// returns the values applied, sets the group's state to them, and sets
// each member's state for the properties it has (StateChanged; the
// devices' own reports correct it). GroupStateChanged is published when
// the group's state changed. A failure to send is a *CommandError naming
// the group; commands already sent are not undone.
func (h *Hub) SetGroup(ctx context.Context, name string, values map[string]any) (map[string]any, error) {
	h.mu.Lock()
	g, err := h.lookupGroupLocked(name)
	if err != nil {
		h.mu.Unlock()
		return nil, err
	}
	if len(g.members) == 0 {
		h.mu.Unlock()
		return nil, errorf("%s: set: %w", g.name, ErrEmptyGroup)
	}
	gm := h.groupModelLocked(g)
	id, gname := g.id, g.name
	h.mu.Unlock()

	r, err := validateSet(gm, gname, values)
	if err != nil {
		return nil, err
	}
	if len(r.cmds) == 0 {
		return map[string]any{}, nil
	}
	if err := h.checkRunning(gname, r.cmds[0].op); err != nil {
		return nil, err
	}
	start := h.now()
	t := target{name: gname}
	for _, c := range r.cmds {
		if err := h.groupcast(ctx, t, id, c); err != nil {
			return nil, err
		}
	}
	applied, toggle := appliedValues(gm, r.values)
	h.mu.Lock()
	if g = h.groups.byID[id]; g != nil {
		h.applyGroupLocked(g, gm, applied, toggle)
	}
	out := cloneState(applied)
	h.mu.Unlock()
	h.log.Debug("group set", "event", "group_set", "group", gname, "group_id", id, "commands", len(r.cmds),
		"elapsed_ms", msSince(start, h.now()))
	return out, nil
}

// groupcast sends one command of a SetGroup to the group.
func (h *Hub) groupcast(ctx context.Context, t target, id uint16, c command) error {
	f := c.frame
	f.TSN = uint8(h.tsn.Add(1))
	f.Direction = zcl.ClientToServer
	f.DisableDefaultResponse = true // nobody answers a groupcast
	aps := zigbee.APSFrame{Dst: zigbee.Groupcast(id), DstEndpoint: 0xFF, SrcEndpoint: h.cfg.Endpoint,
		Profile: zigbee.ProfileHA, Cluster: c.cluster, Payload: f.Encode()}
	if err := h.c.Send(ctx, aps); err != nil {
		return h.commandError(ctx, t, c.op, err)
	}
	return nil
}

// appliedValues turns a validated group Set into the values it results in
// (as Set's commands do: brightness above 0 switches on unless state is
// OFF, brightness 0 switches off and keeps the level). toggle reports a
// TOGGLE, which each member applies to its own state.
func appliedValues(gm *model, values map[string]any) (map[string]any, bool) {
	out := maps.Clone(values)
	st, _ := out["state"].(string)
	if b, ok := out["brightness"].(float64); ok && gm.props["state"] != nil && gm.props["state"].cluster == zcl.ClusterOnOff {
		switch {
		case b == 0:
			out["state"] = "OFF"
			delete(out, "brightness")
		case st != "OFF":
			out["state"] = "ON"
		}
	}
	toggle := out["state"] == "TOGGLE"
	if toggle {
		delete(out, "state")
	}
	return out, toggle
}

// applyGroupLocked sets the members' states and then the group's to what
// a SetGroup applied (a TOGGLE flips each member's known state; the
// group's then follows them). applied gets the group's resulting state.
func (h *Hub) applyGroupLocked(g *group, gm *model, applied map[string]any, toggle bool) {
	now := h.now()
	h.groups.hold = true
	for _, m := range g.members {
		d := h.devs[m.ieee]
		if d == nil || d.m == nil {
			continue
		}
		vals := map[string]any{}
		for k, v := range applied {
			p := memberProp(d, m.ep, k)
			if p == nil || p.set == nil || p.cluster != gm.props[k].cluster {
				continue
			}
			if mv, ok := v.(map[string]any); ok {
				v = maps.Clone(mv)
			}
			vals[p.name] = v
		}
		if toggle {
			if p := memberProp(d, m.ep, "state"); p != nil && p.cluster == zcl.ClusterOnOff {
				switch d.state[p.name] {
				case "ON":
					vals[p.name] = "OFF"
				case "OFF":
					vals[p.name] = "ON"
				}
			}
		}
		if len(vals) > 0 {
			h.applyLocked(d, vals, false, now)
		}
	}
	h.groups.hold = false
	if toggle {
		if s := h.derivedStateLocked(g); s != "" {
			applied["state"] = s
		}
	}
	h.setGroupStateLocked(g, applied)
	if _, ok := applied["state"]; !ok {
		return
	}
	// Groups sharing a member follow its new on/off.
	for _, o := range h.groups.byID {
		if o == g {
			continue
		}
		for _, m := range g.members {
			if o.has(m.ieee) {
				h.deriveLocked(o)
				break
			}
		}
	}
}

// followGroupsLocked updates the derived state of the groups d is a member
// of, after d's state changed (applyLocked).
func (h *Hub) followGroupsLocked(d *device, changed map[string]any) {
	if h.groups.hold {
		return
	}
	onOff := false
	for k := range changed {
		if k == "state" || strings.HasPrefix(k, "state_") {
			onOff = true
			break
		}
	}
	if !onOff {
		return
	}
	for _, g := range h.groups.byID {
		if g.has(d.ieee) {
			h.deriveLocked(g)
		}
	}
}

// deriveLocked sets the group's "state" from its members' on/off.
func (h *Hub) deriveLocked(g *group) {
	if s := h.derivedStateLocked(g); s != "" {
		h.setGroupStateLocked(g, map[string]any{"state": s})
	}
}

// derivedStateLocked is a group's on/off as Zigbee2MQTT derives it
// (off_state all_members_off): "ON" when any member endpoint is on, "OFF"
// when members have an on/off state and none is on, "" when none has one.
func (h *Hub) derivedStateLocked(g *group) string {
	known := false
	for _, m := range g.members {
		d := h.devs[m.ieee]
		if d == nil {
			continue
		}
		p := memberProp(d, m.ep, "state")
		if p == nil || p.cluster != zcl.ClusterOnOff {
			continue
		}
		switch d.state[p.name] {
		case "ON":
			return "ON"
		case "OFF":
			known = true
		}
	}
	if known {
		return "OFF"
	}
	return ""
}

// setGroupStateLocked merges values into the group's state and publishes
// GroupStateChanged if anything changed.
func (h *Hub) setGroupStateLocked(g *group, values map[string]any) {
	changed := false
	for k, v := range values {
		if old, ok := g.state[k]; !ok || !reflect.DeepEqual(old, v) {
			changed = true
			break
		}
	}
	if !changed {
		return
	}
	next := make(map[string]any, len(g.state)+len(values))
	maps.Copy(next, g.state)
	for k, v := range values {
		if mv, ok := v.(map[string]any); ok {
			v = maps.Clone(mv)
		}
		next[k] = v
	}
	g.state = next
	h.bus.publish(GroupStateChanged{Group: g.name, State: next})
}

// memberProp returns the device's property base on endpoint ep, or nil.
func memberProp(d *device, ep zigbee.Endpoint, base string) *prop {
	if d.m == nil {
		return nil
	}
	if p := d.m.props[base]; p != nil && p.ep == ep {
		return p
	}
	for _, p := range d.m.props {
		if p.base == base && p.ep == ep {
			return p
		}
	}
	return nil
}

// groupModelLocked builds the model a SetGroup validates against: the
// union of the properties the members have on their member endpoints, by
// base name (no endpoint suffix). A property several members have takes
// the first member's commands and the widest numeric range, and the union
// of enum values, among the members whose property uses the same cluster.
// Models and their exposes are shared, so everything changed is a copy.
func (h *Hub) groupModelLocked(g *group) *model {
	gm := &model{props: map[string]*prop{}}
	for _, m := range g.members {
		d := h.devs[m.ieee]
		if d == nil || d.m == nil {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(d.m.props)) {
			p := d.m.props[name]
			if p.ep != m.ep {
				continue
			}
			have := gm.props[p.base]
			switch {
			case have == nil || have.set == nil && p.set != nil:
				cp := *p
				cp.name, cp.suffix, cp.ep = p.base, "", 0
				x := *p.expose
				x.Property = p.base
				cp.expose = &x
				gm.props[p.base] = &cp
			case have.cluster == p.cluster:
				widen(have.expose, p.expose)
			}
		}
	}
	return gm
}

// widen extends the expose x (a copy owned by a group model) to accept
// what y accepts: the widest numeric range, the union of enum values.
func widen(x, y *Expose) {
	switch x.Type {
	case "numeric":
		if x.ValueMin != nil && (y.ValueMin == nil || *y.ValueMin < *x.ValueMin) {
			x.ValueMin = y.ValueMin
		}
		if x.ValueMax != nil && (y.ValueMax == nil || *y.ValueMax > *x.ValueMax) {
			x.ValueMax = y.ValueMax
		}
	case "enum":
		for _, v := range y.Values {
			if !slices.Contains(x.Values, v) {
				x.Values = append(slices.Clip(x.Values), v)
			}
		}
	}
}

// groupsCommand sends a Groups cluster command to a device endpoint and
// checks the answer: the Add/Remove Group Response's status must be
// SUCCESS or one of ok; a default response must be SUCCESS.
func (h *Hub) groupsCommand(ctx context.Context, t target, op string, ep zigbee.Endpoint, cmd zcl.CommandID, payload zcl.Payload, ok ...zcl.Status) error {
	rsp, err := h.zclRequest(ctx, t, op, ep, zcl.ClusterGroups, zcl.NewCommand(0, cmd, payload), true)
	if err != nil {
		return err
	}
	if rsp.Type == zcl.FrameCluster && rsp.Direction == zcl.ServerToClient &&
		(cmd == zcl.CmdGroupsAdd && rsp.Command == zcl.CmdGroupsAddResponse || cmd == zcl.CmdGroupsRemove && rsp.Command == zcl.CmdGroupsRemoveResponse) {
		st, err := zcl.ParseGroupStatus(rsp.Payload)
		if err != nil {
			return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: err}
		}
		if st.Status != zcl.StatusSuccess && !slices.Contains(ok, st.Status) {
			return &CommandError{Device: t.name, Op: op, Kind: ErrRejected, Err: fmt.Errorf("ZCL status %v", st.Status)}
		}
		return nil
	}
	return checkStatus(t, op, rsp)
}

// groupsEndpoint returns the device endpoint to put in a group: want if it
// has the Groups server cluster, or (want 0) the first endpoint that has
// it. Errors wrap ErrNotSupported or ErrNotInterviewed.
func groupsEndpoint(d *device, want zigbee.Endpoint, op string) (zigbee.Endpoint, error) {
	if len(d.endpoints) == 0 {
		return 0, errorf("%s: %s: %w", d.name, op, ErrNotInterviewed)
	}
	if want > maxEndpoint {
		return 0, errorf("%s: %s: %w: endpoint %d is not an application endpoint (1–%d)", d.name, op, ErrInvalidValue, want, maxEndpoint)
	}
	for _, e := range d.endpoints {
		if want != 0 && e.ID != want {
			continue
		}
		if slices.Contains(e.InClusters, zcl.ClusterGroups) {
			return e.ID, nil
		}
		if want != 0 {
			return 0, errorf("%s: %s: %w: endpoint %d has no Groups cluster", d.name, op, ErrNotSupported, want)
		}
	}
	if want != 0 {
		return 0, errorf("%s: %s: %w: no endpoint %d", d.name, op, ErrNotSupported, want)
	}
	return 0, errorf("%s: %s: %w: no endpoint with the Groups cluster", d.name, op, ErrNotSupported)
}

// memberAnywhereLocked reports whether the device endpoint is in a group.
func (h *Hub) memberAnywhereLocked(ieee zigbee.IEEE, ep zigbee.Endpoint) bool {
	for _, g := range h.groups.byID {
		if slices.Contains(g.endpointsOf(ieee), ep) {
			return true
		}
	}
	return false
}

// lookupGroupLocked finds a group by name, then by id.
func (h *Hub) lookupGroupLocked(s string) (*group, error) {
	for _, g := range h.groups.byID {
		if g.name == s {
			return g, nil
		}
	}
	if id, ok := parseGroupID(s); ok {
		if g := h.groups.byID[id]; g != nil {
			return g, nil
		}
	}
	names := make([]string, 0, len(h.groups.byID))
	for _, g := range h.groups.byID {
		names = append(names, g.name)
	}
	return nil, &UnknownGroupError{Name: s, Suggestion: suggest(s, names)}
}

// freeGroupIDLocked returns the lowest group id not in use, 0 if none is
// left.
func (h *Hub) freeGroupIDLocked() uint16 {
	for id := uint16(1); id <= MaxGroupID; id++ {
		if h.groups.byID[id] == nil {
			return id
		}
	}
	return 0
}

// groupByNameLocked returns the group with this name, or nil.
func (h *Hub) groupByNameLocked(name string) *group {
	for _, g := range h.groups.byID {
		if g.name == name {
			return g
		}
	}
	return nil
}

// nameFreeLocked checks that no device and no group other than self has
// the name (ErrDuplicateName).
func (h *Hub) nameFreeLocked(name string, self *group) error {
	if d := h.byName[name]; d != nil {
		return fmt.Errorf("%w (device %s has it)", ErrDuplicateName, d.ieee)
	}
	if g := h.groupByNameLocked(name); g != nil && g != self {
		return fmt.Errorf("%w (group %d has it)", ErrDuplicateName, g.id)
	}
	return nil
}

// parseGroupID reads a group id written in decimal or as "0x" and 1–4 hex
// digits.
func parseGroupID(s string) (uint16, bool) {
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		if len(h) == 0 || len(h) > 4 {
			return 0, false
		}
		v, err := strconv.ParseUint(h, 16, 16)
		return uint16(v), err == nil
	}
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 16)
	return uint16(v), err == nil
}

// validGroupName checks a group name: a valid friendly name that reads
// neither as a group id nor as an IEEE address.
func validGroupName(s string) error {
	if err := validName(s); err != nil {
		return err
	}
	if _, ok := parseGroupID(s); ok || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		return errorf("%w: %q reads as a group id", ErrInvalidName, s)
	}
	if _, err := zigbee.ParseIEEE(s); err == nil && len(s) >= 16 {
		return errorf("%w: %q reads as an IEEE address", ErrInvalidName, s)
	}
	return nil
}

// groupSnapshotLocked returns the public view of a group.
func (h *Hub) groupSnapshotLocked(g *group) Group {
	out := Group{ID: g.id, Name: g.name, Members: make([]GroupMember, len(g.members))}
	for i, m := range g.members {
		name := m.ieee.String()
		if d := h.devs[m.ieee]; d != nil {
			name = d.name
		}
		out.Members[i] = GroupMember{IEEE: m.ieee, Device: name, Endpoint: uint8(m.ep)}
	}
	if g.state != nil {
		out.State = cloneState(g.state)
	}
	return out
}

// checkLoaded fails group changes before Run has loaded the registry,
// which would replace them (and their store write would drop the stored
// groups).
func (h *Hub) checkLoaded(op string) error {
	select {
	case <-h.ready:
		return nil
	default:
		return errorf("%s: %w: the registry is not loaded yet", op, ErrNotRunning)
	}
}

// saveGroups writes the whole set of groups to the store, if it keeps
// groups. Pending device records are written first: members refer to
// them.
func (h *Hub) saveGroups(ctx context.Context) error {
	gs, ok := h.cfg.Store.(GroupStore)
	if !ok {
		return nil
	}
	h.groups.save.Lock()
	defer h.groups.save.Unlock()
	if err := h.p.sync(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	set := make([]StoredGroup, 0, len(h.groups.byID))
	for _, g := range h.groups.byID {
		sg := StoredGroup{ID: g.id, Name: g.name, Created: g.created, Members: make([]StoredGroupMember, len(g.members))}
		for i, m := range g.members {
			sg.Members[i] = StoredGroupMember{IEEE: m.ieee, Endpoint: uint8(m.ep)}
		}
		set = append(set, sg)
	}
	h.mu.Unlock()
	slices.SortFunc(set, func(a, b StoredGroup) int { return int(a.ID) - int(b.ID) })
	return gs.SaveGroups(ctx, set)
}

// loadGroups reads the stored groups (none without a GroupStore).
func (h *Hub) loadGroups(ctx context.Context) ([]StoredGroup, error) {
	gs, ok := h.cfg.Store.(GroupStore)
	if !ok {
		return nil, nil
	}
	sgs, err := gs.LoadGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("hub: load groups: %w", err)
	}
	return sgs, nil
}

// restoreGroupsLocked rebuilds the groups from the store, after the
// devices: a member whose device is gone is dropped, a group whose name a
// device has meanwhile keeps it (lookups of groups and devices are apart)
// but is reported.
func (h *Hub) restoreGroupsLocked(sgs []StoredGroup) {
	h.groups.byID = make(map[uint16]*group, len(sgs))
	for _, sg := range sgs {
		if sg.ID == 0 || sg.ID > MaxGroupID || h.groups.byID[sg.ID] != nil {
			h.log.Warn("stored group unusable; skipped", "event", "group_load_failed", "group", sg.Name, "group_id", sg.ID)
			continue
		}
		if d := h.byName[sg.Name]; d != nil {
			h.log.Warn("stored group has a device's name", "event", "group_name_conflict", "group", sg.Name,
				"ieee", d.ieee.String())
		}
		g := &group{id: sg.ID, name: sg.Name, created: sg.Created}
		for _, m := range sg.Members {
			if h.devs[m.IEEE] == nil || m.Endpoint == 0 {
				h.log.Warn("stored group member unknown; dropped", "event", "group_member_dropped", "group", sg.Name,
					"ieee", m.IEEE.String(), "endpoint", int(m.Endpoint))
				continue
			}
			g.add(member{m.IEEE, zigbee.Endpoint(m.Endpoint)})
		}
		h.groups.byID[g.id] = g
	}
}

// dropDeviceLocked removes a removed device from every group and reports
// whether it was a member of any.
func (h *Hub) dropDeviceLocked(ieee zigbee.IEEE) bool {
	dropped := false
	for _, g := range h.groups.byID {
		if g.drop(ieee, nil) {
			dropped = true
		}
	}
	return dropped
}

// memberOfAnyLocked reports whether the device is in a group.
func (h *Hub) memberOfAnyLocked(ieee zigbee.IEEE) bool {
	for _, g := range h.groups.byID {
		if g.has(ieee) {
			return true
		}
	}
	return false
}
