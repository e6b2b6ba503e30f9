package localapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestGroupsAPI drives a Zigbee group through the local API against the
// real hub on the emulated dongle: create, members, one command for the
// whole group, rename, member removal, removal, and the refusals.
func TestGroupsAPI(t *testing.T) {
	bulb, lamp, sensor := sim.DefaultDevices()[1], sim.DefaultDevices()[6], sim.DefaultDevices()[3]
	e := startEnv(t, envOptions{devices: []sim.DeviceSpec{bulb, lamp, sensor}})
	ctx := t.Context()
	pctx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	stack := &hubtest.Stack{Hub: e.hub, Sub: e.sub}
	if _, err := stack.Pair(pctx, e.net, hubtest.Pairing{
		Devices: []zigbee.IEEE{bulb.IEEE, lamp.IEEE, sensor.IEEE},
		Names:   map[zigbee.IEEE]string{bulb.IEEE: "bulb", lamp.IEEE: "lamp", sensor.IEEE: "sensor"},
		Retry:   true,
	}); err != nil {
		t.Fatal(err)
	}

	g := must[localapi.Group](t)(e.client.AddGroup(ctx, "living_room", 0))
	if g.ID != 1 || g.FriendlyName != "living_room" || len(g.Members) != 0 || g.State == nil {
		t.Errorf("added %+v, want living_room, id 1, no members, state {}", g)
	}
	g = must[localapi.Group](t)(e.client.AddGroupMember(ctx, "living_room", "bulb", 0))
	g = must[localapi.Group](t)(e.client.AddGroupMember(ctx, "1", "lamp", 1))
	if len(g.Members) != 2 || g.Members[0].Device != "bulb" || g.Members[0].IEEE != bulb.IEEE.String() ||
		g.Members[1].Device != "lamp" || g.Members[1].Endpoint != 1 {
		t.Fatalf("members %+v, want bulb and lamp (by address)", g.Members)
	}
	if gs := must[[]localapi.Group](t)(e.client.Groups(ctx)); len(gs) != 1 || gs[0].FriendlyName != "living_room" || len(gs[0].Members) != 2 {
		t.Errorf("groups %+v", gs)
	}

	for _, n := range []string{"bulb", "lamp"} {
		must[localapi.StateResult](t)(e.client.Set(ctx, n, map[string]any{"state": "OFF"}))
	}
	r := must[localapi.GroupStateResult](t)(e.client.SetGroup(ctx, "living_room", map[string]any{"state": "ON"}))
	if r.Group != "living_room" || r.State["state"] != "ON" {
		t.Errorf("group set answered %+v", r)
	}
	// Reads sent now reach each light after the group frame.
	for _, n := range []string{"bulb", "lamp"} {
		if st := must[localapi.StateResult](t)(e.client.Get(ctx, n, "state")); st.State["state"] != "ON" {
			t.Errorf("%s after the group set: %v", n, st.State)
		}
	}
	if g := must[localapi.Group](t)(e.client.Group(ctx, "living_room")); g.State["state"] != "ON" {
		t.Errorf("group state %v", g.State)
	}

	g = must[localapi.Group](t)(e.client.RenameGroup(ctx, "living_room", "lounge"))
	if g.FriendlyName != "lounge" || g.ID != 1 {
		t.Errorf("renamed %+v", g)
	}
	g = must[localapi.Group](t)(e.client.RemoveGroupMember(ctx, "lounge", "lamp", 0))
	if len(g.Members) != 1 || g.Members[0].Device != "bulb" {
		t.Errorf("after removing the lamp: %+v", g.Members)
	}
	must[localapi.Group](t)(e.client.AddGroup(ctx, "empty", 7))

	refusals := []struct {
		name   string
		call   func() error
		status int
		code   string
		sugg   string
	}{
		{"unknown group", func() error { _, err := e.client.Group(ctx, "lounje"); return err }, 404, localapi.CodeUnknownGroup, "lounge"},
		{"set unknown group", func() error {
			_, err := e.client.SetGroup(ctx, "nope", map[string]any{"state": "ON"})
			return err
		}, 404, localapi.CodeUnknownGroup, ""},
		{"name of a device", func() error { _, err := e.client.AddGroup(ctx, "bulb", 0); return err }, 409, localapi.CodeDuplicateName, ""},
		{"name of a group", func() error { _, err := e.client.AddGroup(ctx, "lounge", 0); return err }, 409, localapi.CodeDuplicateName, ""},
		{"id out of range", func() error { _, err := e.client.AddGroup(ctx, "attic", 70000); return err }, 400, localapi.CodeBadRequest, ""},
		{"reserved name", func() error { _, err := e.client.AddGroup(ctx, "bridge", 0); return err }, 400, localapi.CodeInvalidName, ""},
		{"rename onto a device", func() error { _, err := e.client.RenameGroup(ctx, "lounge", "lamp"); return err }, 409, localapi.CodeDuplicateName, ""},
		{"member unknown device", func() error {
			_, err := e.client.AddGroupMember(ctx, "lounge", "lamps", 0)
			return err
		}, 404, localapi.CodeUnknownDevice, "lamp"},
		{"member without groups cluster", func() error {
			_, err := e.client.AddGroupMember(ctx, "lounge", "sensor", 0)
			return err
		}, 400, localapi.CodeNotSupported, ""},
		{"member endpoint out of range", func() error {
			_, err := e.client.AddGroupMember(ctx, "lounge", "lamp", 300)
			return err
		}, 400, localapi.CodeBadRequest, ""},
		{"set on an empty group", func() error {
			_, err := e.client.SetGroup(ctx, "empty", map[string]any{"state": "ON"})
			return err
		}, 409, localapi.CodeEmptyGroup, ""},
		{"set a bad value", func() error {
			_, err := e.client.SetGroup(ctx, "lounge", map[string]any{"state": "BLUE"})
			return err
		}, 400, localapi.CodeInvalidValue, ""},
		{"set nothing", func() error { _, err := e.client.SetGroup(ctx, "lounge", nil); return err }, 400, localapi.CodeBadRequest, ""},
		{"remove unknown group", func() error { _, err := e.client.RemoveGroup(ctx, "nope", false); return err }, 404, localapi.CodeUnknownGroup, ""},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			ae, ok := errors.AsType[*localapi.APIError](err)
			if !ok {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Suggestion != tc.sugg {
				t.Errorf("got %d %s %q (%s), want %d %s %q", ae.Status, ae.Code, ae.Suggestion, ae.Message, tc.status, tc.code, tc.sugg)
			}
			if strings.HasPrefix(ae.Message, "hub: ") || strings.Contains(ae.Message, "\n") {
				t.Errorf("message %q is not one clean line", ae.Message)
			}
		})
	}

	rm := must[localapi.GroupRemoveResult](t)(e.client.RemoveGroup(ctx, "lounge", false))
	if rm.Removed != "lounge" || rm.ID != 1 || rm.Forced {
		t.Errorf("remove answered %+v", rm)
	}
	if _, err := e.client.Group(ctx, "lounge"); !isCode(err, localapi.CodeUnknownGroup) {
		t.Errorf("group after remove: %v", err)
	}
	if gs := must[[]localapi.Group](t)(e.client.Groups(ctx)); len(gs) != 1 || gs[0].FriendlyName != "empty" {
		t.Errorf("groups after remove: %+v", gs)
	}
}
