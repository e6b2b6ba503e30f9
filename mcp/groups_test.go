package mcp_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
)

// waitTools waits for tools/list_changed notifications until the tool
// list satisfies ok, and returns it.
func waitTools(t *testing.T, cs *sdk.ClientSession, ch chan struct{}, ok func([]*sdk.Tool) bool) []*sdk.Tool {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for {
		tools := listTools(t, cs)
		if ok(tools) {
			return tools
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("tool list %v not as expected within %v", toolNamesOf(tools), guard)
		}
	}
}

func hasGroupTools(names []string) bool {
	return slices.Contains(names, mcp.ToolListGroups) && slices.Contains(names, mcp.ToolSetGroup)
}

// TestGroupTools: list_groups and set_group over the Go SDK client against
// the real hub on the emulated dongle. The tools exist while a group does;
// one set_group switches every member; each member's household rules hold
// as they do for set_device, and a refusal sends nothing.
func TestGroupTools(t *testing.T) {
	e := start(t, envOptions{devices: []zigbee.IEEE{colorLight, dimmable, plug}})
	toolsCh := make(chan struct{}, 64)
	cs := e.local("2025-11-25", &sdk.ClientOptions{
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {
			select {
			case toolsCh <- struct{}{}:
			default:
			}
		},
	})
	if names := toolNamesOf(listTools(t, cs)); !slices.Equal(names, toolNames) {
		t.Fatalf("tools without groups %v, want %v", names, toolNames)
	}

	ctx := e.ctx
	if _, err := e.hub.AddGroup(ctx, "downstairs", 0); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"kitchen_light", "living_room_lamp"} {
		if err := e.hub.AddGroupMember(ctx, "downstairs", d, 0); err != nil {
			t.Fatal(err)
		}
	}
	// The descriptions name the group and its members once both joined.
	waitTools(t, cs, toolsCh, func(tools []*sdk.Tool) bool {
		return hasGroupTools(toolNamesOf(tools)) && slices.ContainsFunc(tools, func(tool *sdk.Tool) bool {
			return tool.Name == mcp.ToolSetGroup && strings.Contains(tool.Description, "downstairs (members kitchen_light, living_room_lamp)")
		})
	})

	var list mcp.GroupList
	mustCall(t, cs, mcp.ToolListGroups, map[string]any{}, &list)
	if len(list.Groups) != 1 {
		t.Fatalf("list_groups %+v", list)
	}
	g := list.Groups[0]
	if g.Name != "downstairs" || g.ID != 1 || !slices.Equal(g.Members, []string{"kitchen_light", "living_room_lamp"}) ||
		!slices.Contains(g.Capabilities, "state") || !slices.Contains(g.Capabilities, "brightness") {
		t.Errorf("group %+v", g)
	}
	if p := e.srv.SystemPrompt(ctx); !strings.Contains(p, "Groups (set_group") || !strings.Contains(p, "downstairs (members") {
		t.Errorf("system prompt lacks the groups: %s", p)
	}

	lightsAre := func(t *testing.T, want string) {
		t.Helper()
		for _, n := range []string{"kitchen_light", "living_room_lamp"} {
			got, err := e.hub.Get(ctx, n, "state") // reaches the bulb after any group frame
			if err != nil {
				t.Fatal(err)
			}
			if got["state"] != want {
				t.Errorf("%s state %v, want %s", n, got["state"], want)
			}
		}
	}

	t.Run("one command switches both", func(t *testing.T) {
		for _, n := range []string{"kitchen_light", "living_room_lamp"} {
			mustCall(t, cs, "set_device", map[string]any{"device": n, "values": map[string]any{"state": "OFF"}}, nil)
		}
		var r mcp.GroupSetResult
		mustCall(t, cs, mcp.ToolSetGroup, map[string]any{"group": "Downstairs", "values": map[string]any{"state": "ON"}}, &r)
		if r.Group != "downstairs" || r.Sent["state"] != "ON" || len(r.Members) != 2 {
			t.Errorf("set_group answered %+v", r)
		}
		lightsAre(t, "ON")
		mustCall(t, cs, mcp.ToolListGroups, map[string]any{}, &list)
		if list.Groups[0].State["state"] != "ON" {
			t.Errorf("group state %v", list.Groups[0].State)
		}
	})

	t.Run("rules", func(t *testing.T) {
		deny := []string{"state=OFF"}
		if _, err := e.srv.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Deny: &deny}); err != nil {
			t.Fatal(err)
		}
		// The refusal is set_device's, word for word, and nothing is sent.
		devText, devErr := call(t, cs, "set_device", map[string]any{"device": "living_room_lamp", "values": map[string]any{"state": "OFF"}}, nil)
		grpText, grpErr := call(t, cs, mcp.ToolSetGroup, map[string]any{"group": "downstairs", "values": map[string]any{"state": "OFF"}}, nil)
		_, devRule, _ := strings.Cut(devText, mcp.ToolSetDevice+": ")
		_, grpRule, _ := strings.Cut(grpText, mcp.ToolSetGroup+": ")
		if !devErr || !grpErr || devRule == "" || grpRule != devRule ||
			!strings.Contains(grpRule, "living_room_lamp: set state=OFF: refused by the household's rules (never change state=OFF)") {
			t.Errorf("set_device refused %v %q; set_group refused %v %q: want the same refusal", devErr, devText, grpErr, grpText)
		}
		lightsAre(t, "ON")

		confirm, ro, full := mcp.AccessConfirm, mcp.AccessReadOnly, mcp.AccessFull
		none := []string{}
		if _, err := e.srv.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Deny: &none}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.SetDeviceContext(ctx, "kitchen_light", mcp.ContextUpdate{Access: &confirm}); err != nil {
			t.Fatal(err)
		}
		off := map[string]any{"group": "downstairs", "values": map[string]any{"state": "OFF"}}
		if text, isErr := call(t, cs, mcp.ToolSetGroup, off, nil); !isErr || !strings.Contains(text, "kitchen_light: set state: confirmation required") {
			t.Errorf("confirm member: isError=%v %q", isErr, text)
		}
		lightsAre(t, "ON")
		// A read-only member refuses before any confirmation is asked for.
		if _, err := e.srv.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Access: &ro}); err != nil {
			t.Fatal(err)
		}
		if text, isErr := call(t, cs, mcp.ToolSetGroup, off, nil); !isErr || !strings.Contains(text, "living_room_lamp: set state: refused by the household's rules (read only)") {
			t.Errorf("read-only member: isError=%v %q", isErr, text)
		}
		if _, err := e.srv.SetDeviceContext(ctx, "living_room_lamp", mcp.ContextUpdate{Access: &full}); err != nil {
			t.Fatal(err)
		}
		confirmed := map[string]any{"group": "downstairs", "values": map[string]any{"state": "OFF"}, "confirm": true}
		mustCall(t, cs, mcp.ToolSetGroup, confirmed, nil)
		lightsAre(t, "OFF")
		if _, err := e.srv.SetDeviceContext(ctx, "kitchen_light", mcp.ContextUpdate{Access: &full}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a group with a hidden member is hidden", func(t *testing.T) {
		if _, err := e.hub.AddGroup(ctx, "coffee_corner", 0); err != nil {
			t.Fatal(err)
		}
		if err := e.hub.AddGroupMember(ctx, "coffee_corner", "coffee_plug", 0); err != nil {
			t.Fatal(err)
		}
		hidden := mcp.AccessHidden
		if _, err := e.srv.SetDeviceContext(ctx, "coffee_plug", mcp.ContextUpdate{Access: &hidden}); err != nil {
			t.Fatal(err)
		}
		mustCall(t, cs, mcp.ToolListGroups, map[string]any{}, &list)
		for _, g := range list.Groups {
			if g.Name == "coffee_corner" {
				t.Errorf("list_groups shows %+v", g)
			}
		}
		text, isErr := call(t, cs, mcp.ToolSetGroup, map[string]any{"group": "coffee_corner", "values": map[string]any{"state": "ON"}}, nil)
		if !isErr || !strings.Contains(text, `unknown group "coffee_corner"`) || strings.Contains(text, "coffee_plug") {
			t.Errorf("set_group on the hidden group: isError=%v %q", isErr, text)
		}
		if p := e.srv.SystemPrompt(ctx); strings.Contains(p, "coffee_corner") {
			t.Errorf("system prompt names the hidden group")
		}
	})

	t.Run("bad input", func(t *testing.T) {
		if _, err := e.hub.AddGroup(ctx, "attic", 0); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			args map[string]any
			want string
		}{
			{"typo", map[string]any{"group": "downstair", "values": map[string]any{"state": "ON"}}, `unknown group "downstair" (did you mean "downstairs"?)`},
			{"no values", map[string]any{"group": "downstairs", "values": map[string]any{}}, "values is empty"},
			{"bad value", map[string]any{"group": "downstairs", "values": map[string]any{"state": "BLUE"}}, "BLUE"},
			{"no members", map[string]any{"group": "attic", "values": map[string]any{"state": "ON"}}, "set_group: attic: set: group has no members"},
			{"not in the schema", map[string]any{"group": "downstairs", "values": map[string]any{"temperature": 20}}, "temperature"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				text, isErr := call(t, cs, mcp.ToolSetGroup, c.args, nil)
				if !isErr || !strings.Contains(text, c.want) {
					t.Errorf("isError=%v %q, want %q", isErr, text, c.want)
				}
			})
		}
	})

	t.Run("tools go with the last group", func(t *testing.T) {
		for _, g := range []string{"downstairs", "coffee_corner", "attic"} {
			if err := e.hub.RemoveGroup(ctx, g, false); err != nil {
				t.Fatal(err)
			}
		}
		waitTools(t, cs, toolsCh, func(tools []*sdk.Tool) bool { return slices.Equal(toolNamesOf(tools), toolNames) })
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: mcp.ToolSetGroup,
			Arguments: map[string]any{"group": "downstairs", "values": map[string]any{"state": "ON"}}})
		if err == nil {
			t.Errorf("set_group after the last group went: %+v, want an unknown tool error", res)
		}
	})
}
