package main

import (
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/localapi"
)

// group runs `zhub group ARGS` (the real binary) against the daemon.
func (d *cliDaemon) group(args ...string) cliResult {
	d.t.Helper()
	return d.zhub(append([]string{"group"}, args...)...)
}

// groupOK runs a group command that must succeed and returns its stdout.
func (d *cliDaemon) groupOK(args ...string) string {
	d.t.Helper()
	r := d.group(args...)
	if r.code != 0 {
		d.t.Fatalf("zhub group %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// testCLIGroups: zhub group and zhub set GROUP against the daemon on the
// emulated network (the kitchen bulb and the coffee plug switch together).
func testCLIGroups(t *testing.T, d *cliDaemon) {
	if out := d.groupOK("list"); !strings.Contains(out, "No groups yet") {
		t.Errorf("list without groups: %q", out)
	}
	if out := d.groupOK("add", "living_room"); !strings.Contains(out, "added group living_room (id 1)") {
		t.Errorf("add: %q", out)
	}
	if out := d.groupOK("add-member", "living_room", "kitchen_light"); !strings.Contains(out, "added kitchen_light to living_room; members: kitchen_light/1") {
		t.Errorf("add-member: %q", out)
	}
	g := decodeStrict[localapi.Group](t, "add-member", d.groupOK("add-member", "1", "coffee_plug", "--endpoint", "1", "--json"))
	if g.FriendlyName != "living_room" || len(g.Members) != 2 {
		t.Errorf("add-member --json: %+v", g)
	}
	out := d.groupOK("list")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "living_room") || !strings.Contains(out, "kitchen_light/1") ||
		!strings.Contains(out, "coffee_plug/1") {
		t.Errorf("list:\n%s", out)
	}

	d.ok("set", "kitchen_light", "state=OFF")
	d.ok("set", "coffee_plug", "state=OFF")
	if out := d.ok("set", "living_room", "state=ON"); strings.TrimSpace(out) != "living_room (group): sent state ON" {
		t.Errorf("set on a group: %q", out)
	}
	// Reads go out after the group frame: both report on.
	for _, n := range []string{"kitchen_light", "coffee_plug"} {
		st := decodeStrict[localapi.StateResult](t, "get", d.ok("get", n, "state", "--json"))
		if st.State["state"] != "ON" {
			t.Errorf("%s after the group set: %v", n, st.State)
		}
	}
	r := decodeStrict[localapi.GroupStateResult](t, "set --json", d.ok("set", "living_room", "state=OFF", "--json"))
	if r.Group != "living_room" || r.State["state"] != "OFF" {
		t.Errorf("set --json: %+v", r)
	}
	r = decodeStrict[localapi.GroupStateResult](t, "group set --json", d.groupOK("set", "living_room", `{"state":"ON"}`, "--json"))
	if r.State["state"] != "ON" {
		t.Errorf("group set --json: %+v", r)
	}
	gs := decodeStrict[[]localapi.Group](t, "list --json", d.groupOK("list", "--json"))
	if len(gs) != 1 || gs[0].State["state"] != "ON" || gs[0].Members[0].IEEE == "" {
		t.Errorf("list --json: %+v", gs)
	}

	g = decodeStrict[localapi.Group](t, "rename --json", d.groupOK("rename", "living_room", "lounge", "--json"))
	if g.FriendlyName != "lounge" || g.ID != 1 {
		t.Errorf("rename: %+v", g)
	}
	if out := d.groupOK("remove-member", "lounge", "coffee_plug"); !strings.Contains(out, "removed coffee_plug from lounge; members: kitchen_light/1") {
		t.Errorf("remove-member: %q", out)
	}
	d.groupOK("add", "empty", "--id", "9")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"name of a device", []string{"add", "kitchen_light"}, exitFailed, "already in use"},
		{"unknown group", []string{"remove", "lounje"}, exitFailed, `unknown group "lounje" (did you mean "lounge"?)`},
		{"member of an unknown group", []string{"add-member", "nope", "kitchen_light"}, exitFailed, "unknown group"},
		{"unknown device", []string{"add-member", "lounge", "kitchen_lihgt"}, exitFailed, `did you mean "kitchen_light"?`},
		{"device without groups cluster", []string{"add-member", "lounge", "bedroom_sensor"}, exitFailed, "not supported"},
		{"empty group", []string{"set", "empty", "state=ON"}, exitFailed, "no members"},
		{"bad value", []string{"set", "lounge", "state=BLUE"}, exitFailed, "invalid value"},
		{"id out of range", []string{"add", "attic", "--id", "70000"}, exitUsage, "a group id is 1 to 65527"},
		{"missing name", []string{"add"}, exitUsage, "missing argument"},
		{"unknown subcommand", []string{"frob"}, exitUsage, `unknown group command "frob"`},
		{"malformed assignment", []string{"set", "lounge", "state"}, exitUsage, "not key=value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := d.with(t).group(tc.args...)
			if r.code != tc.code || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "zhub: ") ||
				!strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d (want %d), stderr %q (want one line with %q), stdout %q", r.code, tc.code, r.stderr, tc.want, r.stdout)
			}
		})
	}
	// zhub set on a name that is neither a device nor a group keeps the
	// device's answer.
	if r := d.zhub("set", "kichen_light", "state=ON"); r.code != exitFailed || !strings.Contains(r.stderr, `unknown device "kichen_light" (did you mean "kitchen_light"?)`) {
		t.Errorf("set on an unknown name: %+v", r)
	}

	rm := decodeStrict[localapi.GroupRemoveResult](t, "remove --json", d.groupOK("remove", "lounge", "--json"))
	if rm.Removed != "lounge" || rm.ID != 1 || rm.Forced {
		t.Errorf("remove: %+v", rm)
	}
	if out := d.groupOK("remove", "9"); !strings.Contains(out, "removed group empty (id 9)") {
		t.Errorf("remove by id: %q", out)
	}
}
