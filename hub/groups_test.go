package hub_test

import (
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// groupEnv is a hub on an emulated network with a traced dongle and the
// named devices paired.
type groupEnv struct {
	*hubtest.Env
	trace *hubtest.AFTrace
	dir   string
}

func startGroups(t *testing.T, devs map[zigbee.IEEE]string) *groupEnv {
	t.Helper()
	tr := &hubtest.AFTrace{}
	var specs []sim.DeviceSpec
	var ieees []zigbee.IEEE
	for _, d := range sim.DefaultDevices() {
		if _, ok := devs[d.IEEE]; ok {
			specs = append(specs, d)
			ieees = append(ieees, d.IEEE)
		}
	}
	env := hubtest.Start(t, hubtest.Options{Devices: specs, Sim: func(c *sim.Config) { c.Trace = tr }})
	if _, err := env.Stack.Pair(context.Background(), env.Net, hubtest.Pairing{Devices: ieees, Names: devs}); err != nil {
		t.Fatal(err)
	}
	return &groupEnv{Env: env, trace: tr, dir: env.Dir}
}

// simGroups returns the group ids the emulated device holds on endpoint 1.
func (e *groupEnv) simGroups(t *testing.T, ieee zigbee.IEEE) []uint16 {
	t.Helper()
	in, err := e.Net.Device(context.Background(), ieee)
	if err != nil {
		t.Fatal(err)
	}
	return in.Groups[1]
}

func (e *groupEnv) simDevice(t *testing.T, ieee zigbee.IEEE) sim.DeviceInfo {
	t.Helper()
	in, err := e.Net.Device(context.Background(), ieee)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// drain discards the events already delivered to sub.
func drain(sub *hub.Subscription) {
	for {
		select {
		case <-sub.C():
		default:
			return
		}
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestGroupSet: two lights join group living_room (the emulated devices
// hold the group id); SetGroup reaches both with one groupcast per ZCL
// command and no unicast, member and group states follow, a light outside
// the group is untouched; a removed member is no longer reached.
func TestGroupSet(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", colorLight: "sofa_lamp", spareLight: "hall_light"})
	h := e.Hub

	drain(e.Sub)
	g, err := h.AddGroup(ctx, "living_room", 0)
	must(t, "add group", err)
	if g.ID != 1 || g.Name != "living_room" || len(g.Members) != 0 || g.State != nil {
		t.Fatalf("AddGroup = %+v, want id 1, no members, no state", g)
	}
	hubtest.WaitFor(t, e.Sub, func(hub.GroupsChanged) bool { return true })
	must(t, "add floor_lamp", h.AddGroupMember(ctx, "living_room", "floor_lamp", 0))
	must(t, "add sofa_lamp", h.AddGroupMember(ctx, "1", "sofa_lamp", 1))
	must(t, "add floor_lamp again", h.AddGroupMember(ctx, "0x0001", "floor_lamp", 0)) // DUPLICATE_EXISTS is fine

	for _, d := range []zigbee.IEEE{dimmable, colorLight} {
		if got := e.simGroups(t, d); !slices.Equal(got, []uint16{1}) {
			t.Errorf("emulated %v holds groups %v on endpoint 1, want [1]", d, got)
		}
	}
	if got := e.simGroups(t, spareLight); got != nil {
		t.Errorf("hall_light holds groups %v", got)
	}
	g, err = h.Group("living_room")
	must(t, "group", err)
	want := []hub.GroupMember{{IEEE: dimmable, Device: "floor_lamp", Endpoint: 1}, {IEEE: colorLight, Device: "sofa_lamp", Endpoint: 1}}
	slices.SortFunc(want, func(a, b hub.GroupMember) int { return cmp.Compare(a.IEEE, b.IEEE) })
	if !reflect.DeepEqual(g.Members, want) {
		t.Errorf("members %+v, want %+v", g.Members, want)
	}

	hallBefore := e.simDevice(t, spareLight)
	hallState, _ := h.Device("hall_light")
	e.trace.Take()
	got, err := h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "brightness": 100})
	must(t, "set group", err)
	if want := map[string]any{"state": "ON", "brightness": 100.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("SetGroup returned %v, want %v", got, want)
	}
	reqs := e.trace.Take()
	var group, unicastCmds []hubtest.AFRequest
	for _, r := range reqs {
		switch {
		case r.Group():
			group = append(group, r)
		case len(r.ZCL) >= 3 && r.ZCL[0]&0x03 == 0x01 && (r.Cluster == 0x0006 || r.Cluster == 0x0008):
			unicastCmds = append(unicastCmds, r)
		}
	}
	// state ON with brightness is one command: Move to Level with On/Off.
	if len(group) != 1 || group[0].Dst != 1 || group[0].Cluster != 0x0008 || group[0].ZCL[2] != 0x04 {
		t.Errorf("groupcasts %+v, want one Move to Level with On/Off to group 1", group)
	}
	if len(unicastCmds) != 0 {
		t.Errorf("unicast commands during SetGroup: %+v", unicastCmds)
	}
	ev := hubtest.WaitFor(t, e.Sub, func(ev hub.GroupStateChanged) bool { return ev.Group == "living_room" })
	if want := map[string]any{"state": "ON", "brightness": 100.0}; !reflect.DeepEqual(ev.State, want) {
		t.Errorf("GroupStateChanged %v, want %v", ev.State, want)
	}
	for _, name := range []string{"floor_lamp", "sofa_lamp"} {
		d, err := h.Device(name)
		must(t, name, err)
		if d.State["state"] != "ON" || d.State["brightness"] != 100.0 {
			t.Errorf("%s state %v, want ON at 100 (optimistic)", name, d.State)
		}
		// A read, sent after the groupcast, reaches the device after it.
		v, err := h.Get(ctx, name, "state", "brightness")
		must(t, "get "+name, err)
		if v["state"] != "ON" || v["brightness"] != 100.0 {
			t.Errorf("%s reads %v after the groupcast", name, v)
		}
	}
	for _, d := range []zigbee.IEEE{dimmable, colorLight} {
		if in := e.simDevice(t, d); !in.OnOff || in.Level != 100 {
			t.Errorf("emulated %v on=%v level=%d, want on at 100", d, in.OnOff, in.Level)
		}
	}
	if gg, _ := h.Group("living_room"); !reflect.DeepEqual(gg.State, map[string]any{"state": "ON", "brightness": 100.0}) {
		t.Errorf("group state %v", gg.State)
	}
	if in := e.simDevice(t, spareLight); in.OnOff != hallBefore.OnOff {
		t.Errorf("hall_light switched by a group it is not in: %v -> %v", hallBefore.OnOff, in.OnOff)
	}
	if d, _ := h.Device("hall_light"); !reflect.DeepEqual(d.State["state"], hallState.State["state"]) {
		t.Errorf("hall_light state changed: %v -> %v", hallState.State, d.State)
	}

	// A removed member is no longer reached.
	must(t, "remove sofa_lamp", h.RemoveGroupMember(ctx, "living_room", "sofa_lamp", 0))
	if got := e.simGroups(t, colorLight); got != nil {
		t.Errorf("sofa_lamp still holds groups %v", got)
	}
	must(t, "remove sofa_lamp again", h.RemoveGroupMember(ctx, "living_room", "sofa_lamp", 0)) // NOT_FOUND is done
	_, err = h.SetGroup(ctx, "living_room", map[string]any{"state": "OFF"})
	must(t, "set group off", err)
	for name, wantOn := range map[string]bool{"floor_lamp": false, "sofa_lamp": true} {
		v, err := h.Get(ctx, name, "state")
		must(t, "get "+name, err)
		if (v["state"] == "ON") != wantOn {
			t.Errorf("%s is %v after OFF to the group, want on=%v", name, v["state"], wantOn)
		}
	}
	if d, _ := h.Device("sofa_lamp"); d.State["state"] != "ON" {
		t.Errorf("sofa_lamp state %v: set optimistically by a group it left", d.State["state"])
	}
}

// TestGroupErrors: every refusal names its cause, changes nothing and
// sends nothing to the network.
func TestGroupErrors(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", thSensor: "th_sensor", spareLight: "hall_light"})
	h := e.Hub
	_, err := h.AddGroup(ctx, "living_room", 0)
	must(t, "add living_room", err)
	must(t, "add floor_lamp", h.AddGroupMember(ctx, "living_room", "floor_lamp", 0))
	_, err = h.AddGroup(ctx, "empty_room", 0x1A)
	must(t, "add empty_room", err)
	before := h.Groups()
	e.trace.Take()

	for _, tc := range []struct {
		name   string
		call   func() error
		wantIs error
		text   string // in the error
	}{
		{"unknown group, with a suggestion", func() error {
			_, err := h.SetGroup(ctx, "living_rom", map[string]any{"state": "ON"})
			return err
		}, hub.ErrUnknownGroup, `did you mean "living_room"`},
		{"unknown group id", func() error { _, err := h.Group("0x0042"); return err }, hub.ErrUnknownGroup, "0x0042"},
		{"member of an unknown group", func() error { return h.AddGroupMember(ctx, "nope", "floor_lamp", 0) }, hub.ErrUnknownGroup, "nope"},
		{"unknown device", func() error { return h.AddGroupMember(ctx, "living_room", "flor_lamp", 0) }, hub.ErrUnknownDevice, "floor_lamp"},
		{"unknown device removed from all groups", func() error { return h.RemoveFromAllGroups(ctx, "nobody", 0) }, hub.ErrUnknownDevice, "nobody"},
		{"name of a device", func() error { _, err := h.AddGroup(ctx, "hall_light", 0); return err }, hub.ErrDuplicateName, "hall_light"},
		{"name of a group", func() error { _, err := h.AddGroup(ctx, "living_room", 0); return err }, hub.ErrDuplicateName, "group 1"},
		{"group renamed to a device's name", func() error { return h.RenameGroup(ctx, "living_room", "floor_lamp") }, hub.ErrDuplicateName, "floor_lamp"},
		{"device renamed to a group's name", func() error { return h.Rename(ctx, "floor_lamp", "living_room") }, hub.ErrDuplicateName, "group 1"},
		{"name reads as a decimal id", func() error { _, err := h.AddGroup(ctx, "12", 0); return err }, hub.ErrInvalidName, "group id"},
		{"name reads as a hex id", func() error { _, err := h.AddGroup(ctx, "0x1A", 0); return err }, hub.ErrInvalidName, "group id"},
		{"name reads as an IEEE address", func() error { _, err := h.AddGroup(ctx, "0x00124b00a1c00099", 0); return err }, hub.ErrInvalidName, "IEEE"},
		{"reserved name", func() error { _, err := h.AddGroup(ctx, "bridge", 0); return err }, hub.ErrInvalidName, "reserved"},
		{"wildcard in the name", func() error { _, err := h.AddGroup(ctx, "room/+", 0); return err }, hub.ErrInvalidName, "wildcard"},
		{"id taken", func() error { _, err := h.AddGroup(ctx, "other", 1); return err }, hub.ErrInvalidValue, "living_room"},
		{"id above 0xFFF7", func() error { _, err := h.AddGroup(ctx, "other", 0xFFF8); return err }, hub.ErrInvalidValue, "65528"},
		{"property no member has", func() error {
			_, err := h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "color_temp": 300})
			return err
		}, hub.ErrUnknownProperty, "color_temp"},
		{"value out of range", func() error {
			_, err := h.SetGroup(ctx, "living_room", map[string]any{"brightness": 300})
			return err
		}, hub.ErrOutOfRange, "brightness"},
		{"empty group", func() error { _, err := h.SetGroup(ctx, "empty_room", map[string]any{"state": "ON"}); return err }, hub.ErrEmptyGroup, "empty_room"},
		{"device without a Groups cluster", func() error { return h.AddGroupMember(ctx, "living_room", "th_sensor", 0) }, hub.ErrNotSupported, "Groups cluster"},
		{"endpoint without a Groups cluster", func() error { return h.AddGroupMember(ctx, "living_room", "th_sensor", 1) }, hub.ErrNotSupported, "endpoint 1"},
		{"endpoint the device lacks", func() error { return h.AddGroupMember(ctx, "living_room", "floor_lamp", 9) }, hub.ErrNotSupported, "endpoint 9"},
		{"not an application endpoint", func() error { return h.AddGroupMember(ctx, "living_room", "floor_lamp", 242) }, hub.ErrInvalidValue, "242"},
		{"removed from a group it cannot be in", func() error { return h.RemoveGroupMember(ctx, "living_room", "th_sensor", 0) }, hub.ErrNotSupported, "th_sensor"},
		{"removed from all groups without a Groups cluster", func() error { return h.RemoveFromAllGroups(ctx, "th_sensor", 0) }, hub.ErrNotSupported, "th_sensor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("error %v, want %v", err, tc.wantIs)
			}
			if !strings.HasPrefix(err.Error(), "hub: ") || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q: want the hub: prefix and %q", err, tc.text)
			}
		})
	}
	if after := h.Groups(); !reflect.DeepEqual(after, before) {
		t.Errorf("groups changed by refused calls:\n%+v\nwant\n%+v", after, before)
	}
	// Devices may report meanwhile and get default responses: count only
	// what a group call sends.
	for _, r := range e.trace.Take() {
		if r.Group() || r.Cluster == 0x0004 {
			t.Errorf("a refused call sent %+v", r)
		}
	}
	if _, err := h.Device("floor_lamp"); err != nil {
		t.Errorf("floor_lamp renamed by a refused rename: %v", err)
	}
}

// TestGroupUnansweredMember: a member that does not answer (it left the
// network) fails AddGroupMember, RemoveGroupMember and RemoveGroup, which
// keeps the group with the members that did not confirm; with force the
// group goes.
func TestGroupUnansweredMember(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", colorLight: "sofa_lamp"})
	h := e.Hub
	for _, g := range []string{"living_room", "reading"} {
		_, err := h.AddGroup(ctx, g, 0)
		must(t, "add "+g, err)
	}
	must(t, "add floor_lamp", h.AddGroupMember(ctx, "living_room", "floor_lamp", 0))
	must(t, "add sofa_lamp", h.AddGroupMember(ctx, "living_room", "sofa_lamp", 0))
	must(t, "leave", e.Net.Leave(ctx, dimmable))
	hubtest.WaitFor(t, e.Sub, func(ev hub.DeviceLeft) bool { return ev.IEEE == dimmable })

	notDelivered := func(what string, err error) {
		t.Helper()
		ce, ok := errors.AsType[*hub.CommandError](err)
		if !errors.Is(err, hub.ErrNotDelivered) || !ok || ce.Device != "floor_lamp" {
			t.Errorf("%s: %v, want a *CommandError for floor_lamp with ErrNotDelivered", what, err)
		}
	}
	notDelivered("add member", h.AddGroupMember(ctx, "reading", "floor_lamp", 0))
	if g, _ := h.Group("reading"); len(g.Members) != 0 {
		t.Errorf("reading has members %+v after a failed add", g.Members)
	}
	notDelivered("remove member", h.RemoveGroupMember(ctx, "living_room", "floor_lamp", 0))
	err := h.RemoveGroup(ctx, "living_room", false)
	notDelivered("remove group", err)
	if err != nil && !strings.Contains(err.Error(), "force") {
		t.Errorf("%q does not mention force", err)
	}
	g, err := h.Group("living_room")
	must(t, "living_room after a failed remove", err)
	if want := []hub.GroupMember{{IEEE: dimmable, Device: "floor_lamp", Endpoint: 1}}; !reflect.DeepEqual(g.Members, want) {
		t.Errorf("members %+v, want only the one that did not confirm, %+v", g.Members, want)
	}
	if got := e.simGroups(t, colorLight); got != nil {
		t.Errorf("sofa_lamp still holds groups %v", got)
	}
	must(t, "remove group with force", h.RemoveGroup(ctx, "living_room", true))
	if _, err := h.Group("living_room"); !errors.Is(err, hub.ErrUnknownGroup) {
		t.Errorf("living_room after a forced remove: %v", err)
	}
	gs, err := e.Store.Groups(ctx)
	must(t, "stored groups", err)
	if len(gs) != 1 || gs[0].Name != "reading" {
		t.Errorf("stored groups %+v, want only reading", gs)
	}
}

// TestGroupsSurviveRestart: groups, ids and members come back from the
// store after a hub restart and still reach the devices.
func TestGroupsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", colorLight: "sofa_lamp"})
	h := e.Hub
	_, err := h.AddGroup(ctx, "living_room", 0)
	must(t, "add living_room", err)
	_, err = h.AddGroup(ctx, "upstairs/hall", 0x0300)
	must(t, "add upstairs/hall", err)
	must(t, "add floor_lamp", h.AddGroupMember(ctx, "living_room", "floor_lamp", 0))
	must(t, "add sofa_lamp", h.AddGroupMember(ctx, "living_room", "sofa_lamp", 0))
	must(t, "add sofa_lamp upstairs", h.AddGroupMember(ctx, "upstairs/hall", "sofa_lamp", 0))
	must(t, "rename", h.RenameGroup(ctx, "0x300", "upstairs/landing"))
	before := h.Groups()

	e.Stack.Stop(t)
	s := hubtest.StartStack(t, e.Net, hubtest.Config{DBPath: filepath.Join(e.dir, "zhub.db")})
	after := s.Hub.Groups()
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("groups after restart\n%+v\nwant\n%+v", after, before)
	}
	if after[1].Name != "upstairs/landing" || after[1].ID != 0x0300 {
		t.Errorf("renamed group came back as %+v", after[1])
	}
	e.trace.Take()
	_, err = s.Hub.SetGroup(ctx, "living_room", map[string]any{"state": "ON"})
	must(t, "set group after restart", err)
	for _, d := range []zigbee.IEEE{dimmable, colorLight} {
		v, err := s.Hub.Get(ctx, d.String(), "state")
		must(t, "get", err)
		if v["state"] != "ON" {
			t.Errorf("%v is %v after ON to the group", d, v["state"])
		}
	}
	if n := len(e.trace.Take()); n < 1 {
		t.Errorf("no AF requests traced")
	}
}

// TestGroupMembersFollowDevices: renaming a member shows in Members;
// removing a member device drops its memberships, in the hub and in the
// store; RemoveFromAllGroups clears a device from every group.
func TestGroupMembersFollowDevices(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", colorLight: "sofa_lamp", spareLight: "hall_light"})
	h := e.Hub
	for _, g := range []string{"living_room", "evening"} {
		_, err := h.AddGroup(ctx, g, 0)
		must(t, "add "+g, err)
		for _, d := range []string{"floor_lamp", "sofa_lamp", "hall_light"} {
			must(t, "add "+d, h.AddGroupMember(ctx, g, d, 0))
		}
	}
	memberNames := func(group string) []string {
		t.Helper()
		g, err := h.Group(group)
		must(t, group, err)
		var out []string
		for _, m := range g.Members {
			out = append(out, m.Device)
		}
		slices.Sort(out)
		return out
	}

	drain(e.Sub)
	must(t, "rename", h.Rename(ctx, "floor_lamp", "reading_lamp"))
	hubtest.WaitFor(t, e.Sub, func(hub.GroupsChanged) bool { return true })
	if got := memberNames("living_room"); !slices.Equal(got, []string{"hall_light", "reading_lamp", "sofa_lamp"}) {
		t.Errorf("members after rename: %v", got)
	}

	drain(e.Sub)
	must(t, "remove device", h.Remove(ctx, "sofa_lamp", true))
	hubtest.WaitFor(t, e.Sub, func(hub.GroupsChanged) bool { return true })
	for _, g := range []string{"living_room", "evening"} {
		if got := memberNames(g); !slices.Equal(got, []string{"hall_light", "reading_lamp"}) {
			t.Errorf("%s members after removing sofa_lamp: %v", g, got)
		}
	}
	stored, err := e.Store.Groups(ctx)
	must(t, "stored groups", err)
	for _, g := range stored {
		for _, m := range g.Members {
			if m.IEEE == colorLight.String() {
				t.Errorf("stored group %s still has the removed device", g.Name)
			}
		}
	}

	if got := e.simGroups(t, spareLight); !slices.Equal(got, []uint16{1, 2}) {
		t.Fatalf("hall_light holds %v, want [1 2]", got)
	}
	must(t, "remove from all groups", h.RemoveFromAllGroups(ctx, "hall_light", 0))
	if got := e.simGroups(t, spareLight); got != nil {
		t.Errorf("hall_light still holds %v", got)
	}
	for _, g := range []string{"living_room", "evening"} {
		if got := memberNames(g); !slices.Equal(got, []string{"reading_lamp"}) {
			t.Errorf("%s members after RemoveFromAllGroups: %v", g, got)
		}
	}
	if got := e.simGroups(t, dimmable); !slices.Equal(got, []uint16{1, 2}) {
		t.Errorf("reading_lamp holds %v, want [1 2] (untouched)", got)
	}
}

// TestGroupStateFollowsMembers: after a SetGroup, members switched by
// hand change the group's state as in Zigbee2MQTT (ON while any member is
// on); a member in two groups moves both; TOGGLE flips each member.
func TestGroupStateFollowsMembers(t *testing.T) {
	ctx := context.Background()
	e := startGroups(t, map[zigbee.IEEE]string{dimmable: "floor_lamp", colorLight: "sofa_lamp"})
	h := e.Hub
	for _, g := range []string{"living_room", "sofa"} {
		_, err := h.AddGroup(ctx, g, 0)
		must(t, "add "+g, err)
	}
	must(t, "add floor_lamp", h.AddGroupMember(ctx, "living_room", "floor_lamp", 0))
	must(t, "add sofa_lamp", h.AddGroupMember(ctx, "living_room", "sofa_lamp", 0))
	must(t, "add sofa_lamp to sofa", h.AddGroupMember(ctx, "sofa", "sofa_lamp", 0))
	e.trace.Take()
	_, err := h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "color_temp": 300})
	must(t, "set group", err)
	var clusters []zigbee.ClusterID
	for _, r := range e.trace.Take() {
		if r.Group() {
			clusters = append(clusters, r.Cluster)
		}
	}
	if want := []zigbee.ClusterID{0x0006, 0x0300}; !slices.Equal(clusters, want) {
		t.Errorf("groupcasts to clusters %v, want one per command: %v", clusters, want)
	}
	// The groupcast reaches the devices after SetGroup returned: a read,
	// sent later, reaches them after it, so nothing below overtakes it.
	for _, name := range []string{"floor_lamp", "sofa_lamp"} {
		_, err := h.Get(ctx, name, "state")
		must(t, "get "+name, err)
	}
	ev := hubtest.WaitFor(t, e.Sub, func(ev hub.GroupStateChanged) bool { return ev.Group == "sofa" })
	if ev.State["state"] != "ON" {
		t.Errorf("sofa follows its member to %v", ev.State)
	}
	if d, _ := h.Device("sofa_lamp"); d.State["color_temp"] != 300.0 {
		t.Errorf("sofa_lamp color_temp %v, want 300 (optimistic)", d.State["color_temp"])
	}
	if d, _ := h.Device("floor_lamp"); d.State["color_temp"] != nil {
		t.Errorf("floor_lamp got color_temp %v, which it does not have", d.State["color_temp"])
	}

	must(t, "floor_lamp off by hand", e.Net.SetOnOff(ctx, dimmable, false))
	hubtest.WaitFor(t, e.Sub, func(ev hub.StateChanged) bool { return ev.IEEE == dimmable && ev.Changed["state"] == "OFF" })
	if g, _ := h.Group("living_room"); g.State["state"] != "ON" {
		t.Errorf("living_room %v with sofa_lamp still on", g.State)
	}
	must(t, "sofa_lamp off by hand", e.Net.SetOnOff(ctx, colorLight, false))
	ev = hubtest.WaitFor(t, e.Sub, func(ev hub.GroupStateChanged) bool { return ev.Group == "living_room" })
	if want := map[string]any{"state": "OFF", "color_temp": 300.0}; !reflect.DeepEqual(ev.State, want) {
		t.Errorf("living_room state %v, want %v", ev.State, want)
	}

	must(t, "floor_lamp on by hand", e.Net.SetOnOff(ctx, dimmable, true))
	hubtest.WaitFor(t, e.Sub, func(ev hub.StateChanged) bool { return ev.IEEE == dimmable && ev.Changed["state"] == "ON" })
	got, err := h.SetGroup(ctx, "living_room", map[string]any{"state": "toggle"})
	must(t, "toggle", err)
	if got["state"] != "ON" {
		t.Errorf("toggle returned %v, want state ON (sofa_lamp now on)", got)
	}
	for name, want := range map[string]string{"floor_lamp": "OFF", "sofa_lamp": "ON"} {
		v, err := h.Get(ctx, name, "state")
		must(t, "get "+name, err)
		d, _ := h.Device(name)
		if v["state"] != want || d.State["state"] != want {
			t.Errorf("%s after toggle: device %v, hub %v; want %s", name, v["state"], d.State["state"], want)
		}
	}
}
