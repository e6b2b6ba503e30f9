package hub_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// afRequest is one AF data request the host sent to the emulated dongle,
// decoded from its trace.
type afRequest struct {
	group   bool   // addressed to a group
	dst     uint64 // group id, NWK or IEEE address
	cluster uint16
	zcl     []byte
}

// afTrace reads the emulated dongle's trace (sim.Config.Trace) and keeps
// the AF data requests (AF_DATA_REQUEST and AF_DATA_REQUEST_EXT, ZNP
// 0x24 0x01 and 0x24 0x02).
type afTrace struct {
	mu   sync.Mutex
	buf  []byte
	reqs []afRequest
}

func (a *afTrace) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = append(a.buf, p...)
	for {
		i := bytes.IndexByte(a.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := a.buf[:i]
		a.buf = a.buf[i+1:]
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[1]) != ">" {
			continue
		}
		b, err := hex.DecodeString(string(f[2]))
		if err != nil || len(b) < 5 || b[2] != 0x24 {
			continue
		}
		p := b[4 : len(b)-1] // SOF, length, command; FCS last
		switch {
		case b[3] == 0x01 && len(p) >= 10: // dst, dstEp, srcEp, cluster, tid, opts, radius, len
			a.reqs = append(a.reqs, afRequest{dst: uint64(binary.LittleEndian.Uint16(p)),
				cluster: binary.LittleEndian.Uint16(p[4:]), zcl: bytes.Clone(p[10:])})
		case b[3] == 0x02 && len(p) >= 20: // mode, addr(8), dstEp, pan(2), srcEp, cluster, tid, opts, radius, len(2)
			a.reqs = append(a.reqs, afRequest{group: p[0] == byte(zigbee.AddrGroup), dst: binary.LittleEndian.Uint64(p[1:]),
				cluster: binary.LittleEndian.Uint16(p[13:]), zcl: bytes.Clone(p[20:])})
		}
	}
}

// take returns the requests traced since the last take.
func (a *afTrace) take() []afRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.reqs
	a.reqs = nil
	return r
}

// groupEnv is a hub on an emulated network with a traced dongle and the
// named devices paired.
type groupEnv struct {
	*hubtest.Env
	trace *afTrace
	dir   string
}

func startGroups(t *testing.T, devs map[zigbee.IEEE]string) *groupEnv {
	t.Helper()
	tr := &afTrace{}
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
	e.trace.take()
	got, err := h.SetGroup(ctx, "living_room", map[string]any{"state": "ON", "brightness": 100})
	must(t, "set group", err)
	if want := map[string]any{"state": "ON", "brightness": 100.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("SetGroup returned %v, want %v", got, want)
	}
	reqs := e.trace.take()
	var group, unicastCmds []afRequest
	for _, r := range reqs {
		switch {
		case r.group:
			group = append(group, r)
		case len(r.zcl) >= 3 && r.zcl[0]&0x03 == 0x01 && (r.cluster == 0x0006 || r.cluster == 0x0008):
			unicastCmds = append(unicastCmds, r)
		}
	}
	// state ON with brightness is one command: Move to Level with On/Off.
	if len(group) != 1 || group[0].dst != 1 || group[0].cluster != 0x0008 || group[0].zcl[2] != 0x04 {
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
