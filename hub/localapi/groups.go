package localapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/zhubhq/zhub/hub"
)

// Zigbee groups: GET groups, GET group?name=, POST group/add,
// group/remove, group/rename, group/members/add, group/members/remove and
// group/set (`zhub group ...`, `zhub set GROUP ...`).

// Group is one Zigbee group: `zhub group list --json` (a list) and the
// answer of the group changes.
type Group struct {
	ID           int           `json:"id"`
	FriendlyName string        `json:"friendly_name"`
	Members      []GroupMember `json:"members"`
	// State is the last state set through the group (optimistic) or
	// derived from its members; {} before any.
	State map[string]any `json:"state"`
}

// GroupMember is one device endpoint in a group.
type GroupMember struct {
	Device   string `json:"device"` // the device's friendly name
	IEEE     string `json:"ieee_address"`
	Endpoint int    `json:"endpoint"`
}

// GroupFrom converts the hub's snapshot to the wire shape.
func GroupFrom(g hub.Group) Group {
	out := Group{ID: int(g.ID), FriendlyName: g.Name, Members: []GroupMember{}, State: g.State}
	if out.State == nil {
		out.State = map[string]any{}
	}
	for _, m := range g.Members {
		out.Members = append(out.Members, GroupMember{Device: m.Device, IEEE: m.IEEE.String(), Endpoint: int(m.Endpoint)})
	}
	return out
}

// GroupAddRequest is POST group/add: ID 0 takes the lowest free id.
type GroupAddRequest struct {
	Group string `json:"group"`
	ID    int    `json:"id,omitempty"`
}

// GroupRemoveRequest is POST group/remove. Force forgets the group even
// when a member does not answer the Remove Group command.
type GroupRemoveRequest struct {
	Group string `json:"group"`
	Force bool   `json:"force,omitempty"`
}

// GroupRemoveResult answers POST group/remove.
type GroupRemoveResult struct {
	Removed string `json:"removed"` // the friendly name
	ID      int    `json:"id"`
	Forced  bool   `json:"forced"`
}

// GroupRenameRequest is POST group/rename.
type GroupRenameRequest struct {
	Group string `json:"group"`
	To    string `json:"to"`
}

// GroupMemberRequest is POST group/members/add and group/members/remove.
// Endpoint 0 lets the hub pick (add: the device's first endpoint with the
// Groups cluster; remove: the endpoint that is a member).
type GroupMemberRequest struct {
	Group    string `json:"group"`
	Device   string `json:"device"`
	Endpoint int    `json:"endpoint,omitempty"`
}

// GroupSetRequest is POST group/set: Zigbee2MQTT payload values sent once
// to the whole group.
type GroupSetRequest struct {
	Group  string         `json:"group"`
	Values map[string]any `json:"values"`
}

// GroupStateResult answers POST group/set: the values applied. A group
// command has no per-device answer, so this is what was sent; the
// members' own reports correct their states afterwards.
type GroupStateResult struct {
	Group string         `json:"group"`
	State map[string]any `json:"state"`
}

func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	gs := h.Groups()
	out := make([]Group, len(gs))
	for i, g := range gs {
		out[i] = GroupFrom(g)
	}
	return writeJSON(w, out)
}

func (s *Server) serveGroup(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		return badRequest("missing ?name=")
	}
	g, err := h.Group(name)
	if err != nil {
		return err
	}
	return writeJSON(w, GroupFrom(g))
}

func (s *Server) serveGroupAdd(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GroupAddRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Group == "" {
		return badRequest("missing group")
	}
	if req.ID < 0 || req.ID > 0xFFF7 {
		return badRequest("id %d: a group id is 1 to 65527 (0: the lowest free one)", req.ID)
	}
	g, err := h.AddGroup(r.Context(), req.Group, uint16(req.ID))
	if err != nil {
		return err
	}
	return writeJSON(w, GroupFrom(g))
}

func (s *Server) serveGroupRemove(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GroupRemoveRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Group == "" {
		return badRequest("missing group")
	}
	g, err := h.Group(req.Group)
	if err != nil {
		return err
	}
	if err := h.RemoveGroup(r.Context(), g.Name, req.Force); err != nil {
		return err
	}
	return writeJSON(w, GroupRemoveResult{Removed: g.Name, ID: int(g.ID), Forced: req.Force})
}

func (s *Server) serveGroupRename(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GroupRenameRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Group == "" {
		return badRequest("missing group")
	}
	g, err := h.Group(req.Group)
	if err != nil {
		return err
	}
	if err := h.RenameGroup(r.Context(), g.Name, req.To); err != nil {
		return err
	}
	return s.writeGroup(w, h, g.ID)
}

func (s *Server) serveGroupMemberAdd(w http.ResponseWriter, r *http.Request) error {
	return s.serveGroupMember(w, r, Hub.AddGroupMember)
}

func (s *Server) serveGroupMemberRemove(w http.ResponseWriter, r *http.Request) error {
	return s.serveGroupMember(w, r, Hub.RemoveGroupMember)
}

func (s *Server) serveGroupMember(w http.ResponseWriter, r *http.Request,
	op func(h Hub, ctx context.Context, group, device string, endpoint uint8) error) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GroupMemberRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	switch {
	case req.Group == "":
		return badRequest("missing group")
	case req.Device == "":
		return badRequest("missing device")
	case req.Endpoint < 0 || req.Endpoint > 240:
		return badRequest("endpoint %d: an application endpoint is 1 to 240 (0: the hub picks)", req.Endpoint)
	}
	g, err := h.Group(req.Group)
	if err != nil {
		return err
	}
	d, err := h.Device(req.Device) // an unknown name gets its "did you mean"
	if err != nil {
		return err
	}
	if err := op(h, r.Context(), g.Name, d.FriendlyName, uint8(req.Endpoint)); err != nil {
		return err
	}
	return s.writeGroup(w, h, g.ID)
}

// writeGroup answers with a group as it is now.
func (s *Server) writeGroup(w http.ResponseWriter, h Hub, id uint16) error {
	g, err := h.Group(strconv.Itoa(int(id)))
	if err != nil {
		return err
	}
	return writeJSON(w, GroupFrom(g))
}

func (s *Server) serveGroupSet(w http.ResponseWriter, r *http.Request) error {
	h, err := s.hubFor(r)
	if err != nil {
		return err
	}
	var req GroupSetRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Group == "" {
		return badRequest("missing group")
	}
	if len(req.Values) == 0 {
		return badRequest("nothing to set: values is empty")
	}
	g, err := h.Group(req.Group)
	if err != nil {
		return err
	}
	vals, err := h.SetGroup(r.Context(), g.Name, req.Values)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return writeJSON(w, GroupStateResult{Group: g.Name, State: vals})
}

// Groups returns every group, ordered by name.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	return call[[]Group](ctx, c, "GET", "groups", nil, nil)
}

// Group returns one group by name or id.
func (c *Client) Group(ctx context.Context, name string) (Group, error) {
	return call[Group](ctx, c, "GET", "group", url.Values{"name": {name}}, nil)
}

// AddGroup creates a group (id 0: the lowest free id).
func (c *Client) AddGroup(ctx context.Context, name string, id int) (Group, error) {
	return call[Group](ctx, c, "POST", "group/add", nil, GroupAddRequest{Group: name, ID: id})
}

// RemoveGroup removes a group after asking its members to leave it
// (force: even when a member does not answer).
func (c *Client) RemoveGroup(ctx context.Context, name string, force bool) (GroupRemoveResult, error) {
	return call[GroupRemoveResult](ctx, c, "POST", "group/remove", nil, GroupRemoveRequest{Group: name, Force: force})
}

// RenameGroup renames a group and returns it.
func (c *Client) RenameGroup(ctx context.Context, from, to string) (Group, error) {
	return call[Group](ctx, c, "POST", "group/rename", nil, GroupRenameRequest{Group: from, To: to})
}

// AddGroupMember adds a device endpoint (0: the hub picks) to a group and
// returns the group.
func (c *Client) AddGroupMember(ctx context.Context, group, device string, endpoint int) (Group, error) {
	return call[Group](ctx, c, "POST", "group/members/add", nil, GroupMemberRequest{Group: group, Device: device, Endpoint: endpoint})
}

// RemoveGroupMember removes a device endpoint (0: the member one) from a
// group and returns the group.
func (c *Client) RemoveGroupMember(ctx context.Context, group, device string, endpoint int) (Group, error) {
	return call[Group](ctx, c, "POST", "group/members/remove", nil, GroupMemberRequest{Group: group, Device: device, Endpoint: endpoint})
}

// SetGroup sends values to every member of a group at once and returns
// the values applied.
func (c *Client) SetGroup(ctx context.Context, group string, values map[string]any) (GroupStateResult, error) {
	return call[GroupStateResult](ctx, c, "POST", "group/set", nil, GroupSetRequest{Group: group, Values: values})
}
