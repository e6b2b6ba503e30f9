package mcp

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/zigbee"
)

// Zigbee groups for assistants: list_groups and set_group. They are in
// the tool list only while the home has a group an assistant may see, so
// a home without groups does not spend a small model's context on them;
// tools/list_changed tells clients when they come and go.
//
// Rules: a group command is one radio frame that every member obeys, so
// it cannot leave a member out. set_group therefore applies each member's
// rules as set_device would and refuses the whole call, sending nothing,
// when one member's rules refuse the change (the refusal names that
// member, in set_device's words); it asks for confirm: true when a
// member's rules ask for confirmation. A group with a hidden member is
// hidden itself: controlling it would control that device.

// Tool names of the group tools.
const (
	ToolListGroups = "list_groups"
	ToolSetGroup   = "set_group"
)

// groupEntry is one group assistants may see, with its member devices.
type groupEntry struct {
	g       hub.Group
	members []entry // each member device once, in the group's order
}

// groupEntries returns the groups assistants may see, ordered by name:
// those without a hidden member.
func (s *Server) groupEntries(es []entry) []groupEntry {
	groups := s.hub.Groups()
	if len(groups) == 0 {
		return nil
	}
	visible := make(map[zigbee.IEEE]entry, len(es))
	for _, e := range es {
		visible[e.dev.IEEE] = e
	}
	out := make([]groupEntry, 0, len(groups))
groups:
	for _, g := range groups {
		ge := groupEntry{g: g}
		seen := map[zigbee.IEEE]bool{}
		for _, m := range g.Members {
			e, ok := visible[m.IEEE]
			if !ok {
				continue groups // hidden (or not a device any more): not for assistants
			}
			if !seen[m.IEEE] {
				seen[m.IEEE] = true
				ge.members = append(ge.members, e)
			}
		}
		out = append(out, ge)
	}
	return out
}

func (ge groupEntry) memberNames() []string {
	out := make([]string, len(ge.members))
	for i, e := range ge.members {
		out[i] = e.name()
	}
	return out
}

// settable is the union of the members' settable properties.
func (ge groupEntry) settable() []string {
	var out []string
	for _, e := range ge.members {
		for _, p := range settableOf(e.dev) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// rules says which members' rules restrict the group
// ("kitchen_light: ask the person before changing it").
func (ge groupEntry) rules() string {
	var parts []string
	for _, e := range ge.members {
		if r := describeRules(e.ctx.Rules); r != "" {
			parts = append(parts, e.name()+": "+r)
		}
	}
	return strings.Join(parts, "; ")
}

// groupList names the groups for a tool description.
func groupList(gs []groupEntry) string {
	var parts []string
	for i, ge := range gs {
		if i == maxDescribed {
			parts = append(parts, fmt.Sprintf("and %d more (call list_groups)", len(gs)-i))
			break
		}
		info := "no members"
		if len(ge.members) > 0 {
			info = "members " + strings.Join(ge.memberNames(), ", ")
		}
		if r := ge.rules(); r != "" {
			info += "; rules of " + r
		}
		parts = append(parts, ge.g.Name+" ("+info+")")
	}
	return strings.Join(parts, "; ")
}

// groupTools are list_groups and set_group while a group is visible.
func (s *Server) groupTools(es []entry) []toolDef {
	gs := s.groupEntries(es)
	if len(gs) == 0 {
		return nil
	}
	var members []entry
	seen := map[zigbee.IEEE]bool{}
	for _, ge := range gs {
		for _, e := range ge.members {
			if !seen[e.dev.IEEE] {
				seen[e.dev.IEEE] = true
				members = append(members, e)
			}
		}
	}
	list := groupList(gs)
	return []toolDef{
		def(&sdk.Tool{Name: ToolListGroups, Title: "List groups", Annotations: readOnly,
			Description: "The home's Zigbee groups: devices that one command switches together, all at the same " +
				"moment. Each with its members, the properties they accept, the household's rules for them and the " +
				"group's last state. Groups: " + list + ".",
			InputSchema: object(schema{})}, s.listGroups),
		def(&sdk.Tool{Name: ToolSetGroup, Title: "Change a group", Annotations: changes,
			Description: "Change every device of a group at once (switch, dim, colour) with one command, rather than " +
				"one set_device per device. Values are checked against what the members accept. Devices do not " +
				"confirm a group command: the answer is what was sent; get_device tells what a member reported. " +
				"Each member's household rules apply: if one member's rules refuse the change, nothing is sent. " +
				"Groups: " + list + ". Set confirm only after the person agreed, for groups with a member whose " +
				"rules ask for it.",
			InputSchema: object(schema{
				"group":   str("the group: its name or id"),
				"values":  valuesSchema(members),
				"confirm": boolean("true once the person confirmed a change the rules ask confirmation for"),
			}, "group", "values")}, s.setGroup),
	}
}

// resolveGroup finds a visible group by name (any case) or id.
func (s *Server) resolveGroup(name string) (groupEntry, error) {
	name = strings.TrimSpace(name)
	gs := s.groupEntries(s.entries())
	if g, err := s.hub.Group(name); err == nil {
		for _, ge := range gs {
			if ge.g.ID == g.ID {
				return ge, nil
			}
		}
		return groupEntry{}, &UnknownGroupError{Name: name} // hidden
	}
	names := make([]string, 0, len(gs))
	for _, ge := range gs {
		if strings.EqualFold(ge.g.Name, name) {
			return ge, nil
		}
		names = append(names, ge.g.Name)
	}
	return groupEntry{}, &UnknownGroupError{Name: name, Suggestion: closest(name, names)}
}

// --- list_groups

// GroupSummary is one group in list_groups.
type GroupSummary struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
	// Members are the member devices' friendly names.
	Members []string `json:"members"`
	// Capabilities are the properties set_group accepts for the group:
	// those its members accept.
	Capabilities []string `json:"capabilities"`
	// Rules are the members' household rules that restrict the group.
	Rules string `json:"rules,omitempty"`
	// State is the group's last state: the values last sent to it, with
	// "state" ON while any member is on.
	State map[string]any `json:"state,omitempty"`
}

// GroupList is list_groups' answer.
type GroupList struct {
	Groups []GroupSummary `json:"groups"`
}

func (s *Server) listGroups(ctx context.Context, _ *sdk.CallToolRequest, _ emptyIn) (*sdk.CallToolResult, GroupList, error) {
	if err := s.ready(ctx); err != nil {
		return nil, GroupList{}, toolError(ToolListGroups, err)
	}
	out := GroupList{Groups: []GroupSummary{}}
	for _, ge := range s.groupEntries(s.entries()) {
		sum := GroupSummary{Name: ge.g.Name, ID: int(ge.g.ID), Members: ge.memberNames(), Capabilities: ge.settable(),
			Rules: ge.rules()}
		if sum.Capabilities == nil {
			sum.Capabilities = []string{}
		}
		if len(ge.g.State) > 0 {
			sum.State = maps.Clone(ge.g.State)
		}
		out.Groups = append(out.Groups, sum)
	}
	return nil, out, nil
}

// --- set_group

type setGroupIn struct {
	Group   string         `json:"group"`
	Values  map[string]any `json:"values"`
	Confirm bool           `json:"confirm,omitempty"`
}

// GroupSetResult is set_group's answer.
type GroupSetResult struct {
	Group string `json:"group"`
	// Sent holds the values sent to the group. No device confirms a group
	// command; the members' own reports follow (get_device).
	Sent      map[string]any `json:"sent"`
	Requested map[string]any `json:"requested"`
	Members   []string       `json:"members"`
}

func (s *Server) setGroup(ctx context.Context, _ *sdk.CallToolRequest, in setGroupIn) (*sdk.CallToolResult, GroupSetResult, error) {
	fail := func(err error) (*sdk.CallToolResult, GroupSetResult, error) {
		return nil, GroupSetResult{}, toolError(ToolSetGroup, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	ge, err := s.resolveGroup(in.Group)
	if err != nil {
		return fail(err)
	}
	if len(in.Values) == 0 {
		return fail(fmt.Errorf("%w: values is empty; give at least one property (list_groups lists them)", ErrInvalidArgument))
	}
	// Every member receives the command: a refusal by any member's rules
	// refuses the call, before asking for a confirmation that could not
	// help.
	for _, e := range ge.members {
		if err := s.allowChange(e, in.Values, true); err != nil {
			return fail(err)
		}
	}
	for _, e := range ge.members {
		if err := s.allowChange(e, in.Values, in.Confirm); err != nil {
			return fail(err)
		}
	}
	t0 := time.Now()
	sent, err := s.hub.SetGroup(ctx, ge.g.Name, in.Values)
	if err != nil {
		s.log.Info("group set refused or failed", "event", "mcp_group_set_failed", "group", ge.g.Name, "err", err, "elapsed_ms", ms(time.Since(t0)))
		return fail(err)
	}
	if sent == nil {
		sent = map[string]any{}
	}
	s.log.Info("group set", "event", "mcp_group_set", "group", ge.g.Name, "group_id", strconv.Itoa(int(ge.g.ID)),
		"properties", strings.Join(slices.Sorted(maps.Keys(in.Values)), ","), "elapsed_ms", ms(time.Since(t0)))
	return nil, GroupSetResult{Group: ge.g.Name, Sent: sent, Requested: in.Values, Members: ge.memberNames()}, nil
}
