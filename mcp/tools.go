package mcp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/zhubhq/zhub/hub"
)

// toolDef is one tool and how to register it with its typed handler.
type toolDef struct {
	tool *sdk.Tool
	add  func(*sdk.Server)
}

func def[In, Out any](t *sdk.Tool, h sdk.ToolHandlerFor[In, Out]) toolDef {
	return toolDef{tool: t, add: func(srv *sdk.Server) { sdk.AddTool(srv, t, h) }}
}

func ptr[T any](v T) *T { return &v }

var (
	readOnly    = &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}
	changes     = &sdk.ToolAnnotations{DestructiveHint: ptr(false), OpenWorldHint: ptr(false)}
	destructive = &sdk.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: ptr(false)}
)

// toolSet builds every tool for the visible devices es: the descriptions
// name the household's devices, rooms and aliases, and set_device's schema
// is generated from their capabilities.
func (s *Server) toolSet(es []entry) []toolDef {
	rooms := roomsOf(es)
	roomText := "none set yet"
	if len(rooms) > 0 {
		roomText = strings.Join(rooms, ", ")
	}
	rulesText := func(e entry) string { return describeRules(e.ctx.Rules) }
	deviceArg := str("the device: friendly name, one of its aliases, or IEEE address")

	defs := []toolDef{
		def(&sdk.Tool{Name: ToolListDevices, Title: "List devices", Annotations: readOnly,
			Description: "List the home's devices with room, type, availability, capabilities and current state. " +
				"Filter by room, type or capability. Rooms: " + roomText + ". Devices: " + deviceList(es, nil, nil) + ".",
			InputSchema: object(schema{
				"room":       str("only devices in this room (case does not matter)"),
				"type":       schema{"type": "string", "enum": kinds, "description": "only devices of this type"},
				"capability": str("only devices with this property, e.g. brightness, temperature, contact"),
			})}, s.listDevices),
		def(&sdk.Tool{Name: ToolGetDevice, Title: "Get a device", Annotations: readOnly,
			Description: "One device in detail: state, capabilities with their ranges and accepted values, " +
				"availability, last seen, room, aliases, notes and the household's rules for it.",
			InputSchema: object(schema{"device": deviceArg}, "device")}, s.getDevice),
		def(&sdk.Tool{Name: ToolSetDevice, Title: "Change a device", Annotations: changes,
			Description: "Change a device's state (switch, dim, colour, lock, position, ...) and return the state the " +
				"device reported back, which is the truth to tell the person. Values are checked against the " +
				"device's capabilities. Settable devices: " +
				deviceList(es, func(e entry) bool { return len(settableOf(e.dev)) > 0 }, func(e entry) string {
					x := strings.Join(settableOf(e.dev), ", ")
					if r := rulesText(e); r != "" {
						x += "; " + r
					}
					return x
				}) + ". Set confirm only after the person agreed, for devices whose rules ask for it.",
			InputSchema: object(schema{
				"device":  deviceArg,
				"values":  valuesSchema(es),
				"confirm": boolean("true once the person confirmed a change the rules ask confirmation for"),
			}, "device", "values")}, s.setDevice),
		def(&sdk.Tool{Name: ToolGetHistory, Title: "Get history", Annotations: readOnly,
			Description: fmt.Sprintf("Recorded values of one property of a device over a time range (default the "+
				"last 24 hours, at most %d days and %d points, oldest first). Properties: %s.",
				int(s.cfg.MaxHistoryRange.Hours()/24), s.cfg.MaxHistoryPoints, strings.Join(capabilityNames(es), ", ")),
			InputSchema: object(schema{
				"device":   deviceArg,
				"property": str("the property, e.g. temperature, state, power"),
				"from":     str("start, RFC 3339 (e.g. 2026-05-01T08:00:00Z); default: 24 hours before to"),
				"to":       str("end, RFC 3339; default: now"),
				"limit":    integer("most points to return", 1, s.cfg.MaxHistoryPoints),
			}, "device", "property")}, s.getHistory),
		def(&sdk.Tool{Name: ToolListRooms, Title: "List rooms", Annotations: readOnly,
			Description: "The rooms of the home with the devices in each, and the devices without a room. Rooms: " + roomText + ".",
			InputSchema: object(schema{})}, s.listRooms),
		def(&sdk.Tool{Name: ToolSetDeviceContext, Title: "Describe a device", Annotations: changes,
			Description: "Record the household's words for a device: its room, aliases (other names people use, " +
				"e.g. \"the lamp by the sofa\") and notes. Only the fields given change; aliases replace the list. " +
				"The household's rules cannot be changed here.",
			InputSchema: object(schema{
				"device":  deviceArg,
				"room":    str("room name, e.g. Living room; empty clears it"),
				"aliases": strList("every alias of the device (replaces the list; empty clears it)", MaxAliases),
				"notes":   str("free-text notes; empty clears them"),
			}, "device")}, s.setDeviceContext),
	}
	if s.guarded[ToolPermitJoin] {
		defs = append(defs, def(&sdk.Tool{Name: ToolPermitJoin, Title: "Allow new devices to join", Annotations: changes,
			Description: "Open the Zigbee network so new devices can pair, for some seconds (0 closes it). Needs " +
				"confirm: true, which you send only after the person agreed.",
			InputSchema: object(schema{
				"seconds": integer("how long joining stays open (0 closes it)", 0, int(hub.MaxPermitJoin.Seconds())),
				"via":     str("only through this router (friendly name); default: every router"),
				"confirm": boolean("true once the person agreed"),
			}, "seconds")}, s.permitJoin))
	}
	if s.guarded[ToolRenameDevice] {
		defs = append(defs, def(&sdk.Tool{Name: ToolRenameDevice, Title: "Rename a device", Annotations: changes,
			Description: "Give a device a new friendly name (MQTT topics and automations use it). Needs confirm: true, " +
				"sent only after the person agreed. Devices: " + deviceList(es, nil, nil) + ".",
			InputSchema: object(schema{
				"device":   deviceArg,
				"new_name": str("the new friendly name (no +, #, leading or trailing / or space)"),
				"confirm":  boolean("true once the person agreed"),
			}, "device", "new_name")}, s.renameDevice))
	}
	if s.guarded[ToolRemoveDevice] {
		defs = append(defs, def(&sdk.Tool{Name: ToolRemoveDevice, Title: "Remove a device", Annotations: destructive,
			Description: "Remove a device from the network and forget it. It must be paired again to come back. " +
				"Needs confirm: true, sent only after the person agreed.",
			InputSchema: object(schema{
				"device":  deviceArg,
				"force":   boolean("forget it even if it does not answer the leave request"),
				"confirm": boolean("true once the person agreed"),
			}, "device")}, s.removeDevice))
	}
	return append(defs, s.groupTools(es)...)
}

// toolError turns an error into the sentence a model reads: no package
// prefixes, one line.
func toolError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: timed out", op)
	}
	msg := err.Error()
	for _, p := range []string{"mcp: ", "hub: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return &toolErr{op: op, msg: msg, err: err}
}

type toolErr struct {
	op, msg string
	err     error
}

func (e *toolErr) Error() string { return e.op + ": " + e.msg }
func (e *toolErr) Unwrap() error { return e.err }

// --- list_devices

type listDevicesIn struct {
	Room       string `json:"room,omitempty"`
	Type       string `json:"type,omitempty"`
	Capability string `json:"capability,omitempty"`
}

// DeviceList is list_devices' answer.
type DeviceList struct {
	Devices []DeviceSummary `json:"devices"`
}

func (s *Server) listDevices(ctx context.Context, _ *sdk.CallToolRequest, in listDevicesIn) (*sdk.CallToolResult, DeviceList, error) {
	if err := s.ready(ctx); err != nil {
		return nil, DeviceList{}, toolError(ToolListDevices, err)
	}
	out := DeviceList{Devices: []DeviceSummary{}}
	for _, e := range s.entries() {
		if in.Room != "" && !strings.EqualFold(strings.TrimSpace(in.Room), e.ctx.Room) {
			continue
		}
		if in.Type != "" && kindOf(e.dev) != in.Type {
			continue
		}
		sum := summaryOf(e, true)
		if in.Capability != "" && !slices.Contains(sum.Capabilities, strings.TrimSpace(in.Capability)) {
			continue
		}
		out.Devices = append(out.Devices, sum)
	}
	return nil, out, nil
}

// --- get_device

type deviceIn struct {
	Device string `json:"device"`
}

func (s *Server) getDevice(ctx context.Context, _ *sdk.CallToolRequest, in deviceIn) (*sdk.CallToolResult, DeviceDetail, error) {
	if err := s.ready(ctx); err != nil {
		return nil, DeviceDetail{}, toolError(ToolGetDevice, err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return nil, DeviceDetail{}, toolError(ToolGetDevice, err)
	}
	return nil, detailOf(e), nil
}

// --- set_device

type setDeviceIn struct {
	Device  string         `json:"device"`
	Values  map[string]any `json:"values"`
	Confirm bool           `json:"confirm,omitempty"`
}

// SetResult is set_device's answer: the state the device reported back.
type SetResult struct {
	Device string `json:"device"`
	// State holds the values the device reported after the change (not
	// the ones asked for).
	State     map[string]any `json:"state"`
	Requested map[string]any `json:"requested"`
}

func (s *Server) setDevice(ctx context.Context, _ *sdk.CallToolRequest, in setDeviceIn) (*sdk.CallToolResult, SetResult, error) {
	fail := func(err error) (*sdk.CallToolResult, SetResult, error) {
		return nil, SetResult{}, toolError(ToolSetDevice, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return fail(err)
	}
	if len(in.Values) == 0 {
		return fail(fmt.Errorf("%w: values is empty; give at least one property (get_device lists them)", ErrInvalidArgument))
	}
	if err := s.allowChange(e, in.Values, in.Confirm); err != nil {
		return fail(err)
	}
	t0 := time.Now()
	got, err := s.hub.Set(ctx, e.name(), in.Values)
	if err != nil {
		s.log.Info("set refused or failed", "event", "mcp_set_failed", "device", e.name(), "err", err, "elapsed_ms", ms(time.Since(t0)))
		return fail(err)
	}
	if got == nil {
		got = map[string]any{}
	}
	s.log.Info("device set", "event", "mcp_set", "device", e.name(), "properties", strings.Join(slices.Sorted(maps.Keys(in.Values)), ","),
		"elapsed_ms", ms(time.Since(t0)))
	return nil, SetResult{Device: e.name(), State: got, Requested: in.Values}, nil
}

// allowChange applies the device's rules to a change of values.
func (s *Server) allowChange(e entry, values map[string]any, confirmed bool) error {
	action := "set " + strings.Join(slices.Sorted(maps.Keys(values)), ", ")
	r := e.ctx.Rules
	if r.level() == AccessReadOnly {
		return &RuleError{Device: e.name(), Action: action, Rule: "read only"}
	}
	for _, p := range slices.Sorted(maps.Keys(values)) {
		if d := r.denied(p, values[p]); d != "" {
			return &RuleError{Device: e.name(), Action: fmt.Sprintf("set %s=%v", p, values[p]), Rule: "never change " + d}
		}
	}
	if r.level() == AccessConfirm && !confirmed {
		return fmt.Errorf("%s: %s: %w: the household asks to be asked first; ask the person, then call again with confirm: true",
			e.name(), action, ErrConfirmationRequired)
	}
	return nil
}

// --- get_history

type historyIn struct {
	Device   string `json:"device"`
	Property string `json:"property"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// HistoryPoint is one recorded value.
type HistoryPoint struct {
	At    string `json:"at"` // RFC 3339
	Value any    `json:"value"`
}

// History is get_history's answer.
type History struct {
	Device   string         `json:"device"`
	Property string         `json:"property"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Points   []HistoryPoint `json:"points"`
	// Truncated is set when more points exist in the range than returned
	// (ask for a shorter range).
	Truncated bool `json:"truncated"`
}

func (s *Server) getHistory(ctx context.Context, _ *sdk.CallToolRequest, in historyIn) (*sdk.CallToolResult, History, error) {
	fail := func(err error) (*sdk.CallToolResult, History, error) {
		return nil, History{}, toolError(ToolGetHistory, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return fail(err)
	}
	prop := strings.TrimSpace(in.Property)
	var props []string
	for _, c := range capabilitiesOf(e.dev) {
		props = append(props, c.Property)
	}
	if !slices.Contains(props, prop) {
		if sug := closest(prop, props); sug != "" {
			return fail(fmt.Errorf("%w: %s has no property %q (did you mean %q?)", ErrInvalidArgument, e.name(), prop, sug))
		}
		return fail(fmt.Errorf("%w: %s has no property %q (it has %s)", ErrInvalidArgument, e.name(), prop, strings.Join(props, ", ")))
	}
	parse := func(what, v string, def time.Time) (time.Time, error) {
		if v == "" {
			return def, nil
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %s %q is not an RFC 3339 time such as 2026-05-01T08:00:00Z", ErrInvalidArgument, what, v)
		}
		return t, nil
	}
	to, err := parse("to", in.To, s.now())
	if err != nil {
		return fail(err)
	}
	from, err := parse("from", in.From, to.Add(-24*time.Hour))
	if err != nil {
		return fail(err)
	}
	switch {
	case !from.Before(to):
		return fail(fmt.Errorf("%w: from (%s) is not before to (%s)", ErrInvalidArgument, from.Format(time.RFC3339), to.Format(time.RFC3339)))
	case to.Sub(from) > s.cfg.MaxHistoryRange:
		return fail(fmt.Errorf("%w: the range is longer than %d days; ask for a shorter one", ErrInvalidArgument,
			int(s.cfg.MaxHistoryRange.Hours()/24)))
	}
	limit := in.Limit
	if limit <= 0 || limit > s.cfg.MaxHistoryPoints {
		limit = s.cfg.MaxHistoryPoints
	}
	pts, err := s.hub.History(ctx, e.name(), prop, from, to, limit+1)
	if err != nil {
		return fail(err)
	}
	out := History{Device: e.name(), Property: prop, From: from.UTC().Format(time.RFC3339), To: to.UTC().Format(time.RFC3339),
		Points: make([]HistoryPoint, 0, min(len(pts), limit))}
	if len(pts) > limit {
		out.Truncated = true
		pts = pts[:limit]
	}
	for _, p := range pts {
		out.Points = append(out.Points, HistoryPoint{At: p.At.UTC().Format(time.RFC3339Nano), Value: p.Value})
	}
	return nil, out, nil
}

// --- list_rooms

type emptyIn struct{}

// Room is one room and its devices.
type Room struct {
	Name    string   `json:"name"`
	Devices []string `json:"devices"`
}

// Rooms is list_rooms' answer.
type Rooms struct {
	Rooms      []Room   `json:"rooms"`
	Unassigned []string `json:"unassigned"`
}

func (s *Server) listRooms(ctx context.Context, _ *sdk.CallToolRequest, _ emptyIn) (*sdk.CallToolResult, Rooms, error) {
	if err := s.ready(ctx); err != nil {
		return nil, Rooms{}, toolError(ToolListRooms, err)
	}
	es := s.entries()
	out := Rooms{Rooms: []Room{}, Unassigned: []string{}}
	for _, r := range roomsOf(es) {
		room := Room{Name: r, Devices: []string{}}
		for _, e := range es {
			if e.ctx.Room == r {
				room.Devices = append(room.Devices, e.name())
			}
		}
		out.Rooms = append(out.Rooms, room)
	}
	for _, e := range es {
		if e.ctx.Room == "" {
			out.Unassigned = append(out.Unassigned, e.name())
		}
	}
	return nil, out, nil
}

// --- set_device_context

type contextIn struct {
	Device  string    `json:"device"`
	Room    *string   `json:"room,omitempty"`
	Aliases *[]string `json:"aliases,omitempty"`
	Notes   *string   `json:"notes,omitempty"`
}

func (s *Server) setDeviceContext(ctx context.Context, _ *sdk.CallToolRequest, in contextIn) (*sdk.CallToolResult, DeviceContextView, error) {
	fail := func(err error) (*sdk.CallToolResult, DeviceContextView, error) {
		return nil, DeviceContextView{}, toolError(ToolSetDeviceContext, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return fail(err)
	}
	if e.ctx.Rules.level() == AccessReadOnly {
		return fail(&RuleError{Device: e.name(), Action: "change its context", Rule: "read only"})
	}
	v, err := s.update(ctx, e.dev, ContextUpdate{Room: in.Room, Aliases: in.Aliases, Notes: in.Notes})
	if err != nil {
		return fail(err)
	}
	return nil, v, nil
}

// --- guarded tools

func confirmFirst(action string) error {
	return fmt.Errorf("%w: %s changes the network; ask the person, then call again with confirm: true", ErrConfirmationRequired, action)
}

type permitJoinIn struct {
	Seconds int    `json:"seconds"`
	Via     string `json:"via,omitempty"`
	Confirm bool   `json:"confirm,omitempty"`
}

// PermitJoinResult is permit_join's answer.
type PermitJoinResult struct {
	Open    bool   `json:"open"`
	Seconds int    `json:"seconds"`
	Via     string `json:"via,omitempty"`
}

func (s *Server) permitJoin(ctx context.Context, _ *sdk.CallToolRequest, in permitJoinIn) (*sdk.CallToolResult, PermitJoinResult, error) {
	fail := func(err error) (*sdk.CallToolResult, PermitJoinResult, error) {
		return nil, PermitJoinResult{}, toolError(ToolPermitJoin, err)
	}
	if !in.Confirm {
		return fail(confirmFirst("opening the network for new devices"))
	}
	via := ""
	if strings.TrimSpace(in.Via) != "" {
		e, err := s.resolve(in.Via)
		if err != nil {
			return fail(err)
		}
		via = e.name()
	}
	if err := s.hub.PermitJoin(ctx, time.Duration(in.Seconds)*time.Second, via); err != nil {
		return fail(err)
	}
	s.log.Info("permit join through MCP", "event", "mcp_permit_join", "duration_s", in.Seconds, "via", via)
	return nil, PermitJoinResult{Open: in.Seconds > 0, Seconds: in.Seconds, Via: via}, nil
}

type renameIn struct {
	Device  string `json:"device"`
	NewName string `json:"new_name"`
	Confirm bool   `json:"confirm,omitempty"`
}

// RenameResult is rename_device's answer.
type RenameResult struct {
	Device   string `json:"device"`
	Previous string `json:"previous"`
}

func (s *Server) renameDevice(ctx context.Context, _ *sdk.CallToolRequest, in renameIn) (*sdk.CallToolResult, RenameResult, error) {
	fail := func(err error) (*sdk.CallToolResult, RenameResult, error) {
		return nil, RenameResult{}, toolError(ToolRenameDevice, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return fail(err)
	}
	if e.ctx.Rules.level() == AccessReadOnly {
		return fail(&RuleError{Device: e.name(), Action: "rename", Rule: "read only"})
	}
	if !in.Confirm {
		return fail(confirmFirst("renaming " + e.name()))
	}
	if err := s.hub.Rename(ctx, e.name(), strings.TrimSpace(in.NewName)); err != nil {
		return fail(err)
	}
	s.log.Info("device renamed through MCP", "event", "mcp_rename", "from", e.name(), "to", in.NewName)
	return nil, RenameResult{Device: strings.TrimSpace(in.NewName), Previous: e.name()}, nil
}

type removeIn struct {
	Device  string `json:"device"`
	Force   bool   `json:"force,omitempty"`
	Confirm bool   `json:"confirm,omitempty"`
}

// RemoveResult is remove_device's answer.
type RemoveResult struct {
	Removed string `json:"removed"`
	Forced  bool   `json:"forced"`
}

func (s *Server) removeDevice(ctx context.Context, _ *sdk.CallToolRequest, in removeIn) (*sdk.CallToolResult, RemoveResult, error) {
	fail := func(err error) (*sdk.CallToolResult, RemoveResult, error) {
		return nil, RemoveResult{}, toolError(ToolRemoveDevice, err)
	}
	if err := s.ready(ctx); err != nil {
		return fail(err)
	}
	e, err := s.resolve(in.Device)
	if err != nil {
		return fail(err)
	}
	if e.ctx.Rules.level() == AccessReadOnly {
		return fail(&RuleError{Device: e.name(), Action: "remove", Rule: "read only"})
	}
	if !in.Confirm {
		return fail(confirmFirst("removing " + e.name()))
	}
	if err := s.hub.Remove(ctx, e.name(), in.Force); err != nil {
		return fail(err)
	}
	s.log.Info("device removed through MCP", "event", "mcp_remove", "device", e.name(), "force", in.Force)
	return nil, RemoveResult{Removed: e.name(), Forced: in.Force}, nil
}
