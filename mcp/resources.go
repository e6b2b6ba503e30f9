package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Resource URIs.
const (
	devicesURI        = "zhub://devices"
	devicePrefix      = "zhub://devices/"
	deviceURITemplate = "zhub://devices/{name}"
)

// DeviceURI is the resource URI of a device (its friendly name, escaped as
// one path segment: "kitchen/ceiling" → zhub://devices/kitchen%2Fceiling).
func DeviceURI(name string) string { return deviceURI(name) }

func deviceURI(name string) string { return devicePrefix + url.PathEscape(name) }

// deviceFromURI returns the device name or address in a device URI.
func deviceFromURI(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, devicePrefix)
	if !ok || rest == "" {
		return "", false
	}
	name, err := url.PathUnescape(rest)
	if err != nil || name == "" {
		return "", false
	}
	return name, true
}

// DevicesDocument is the content of zhub://devices.
type DevicesDocument struct {
	Devices []DeviceSummary `json:"devices"`
}

func (s *Server) readDevices(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	doc := DevicesDocument{Devices: []DeviceSummary{}}
	for _, e := range s.entries() {
		doc.Devices = append(doc.Devices, summaryOf(e, true))
	}
	return jsonContents(req.Params.URI, doc)
}

func (s *Server) readDevice(_ context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	name, ok := deviceFromURI(req.Params.URI)
	if !ok {
		return nil, sdk.ResourceNotFoundError(req.Params.URI)
	}
	e, err := s.resolve(name)
	if err != nil {
		return nil, sdk.ResourceNotFoundError(req.Params.URI)
	}
	return jsonContents(req.Params.URI, detailOf(e))
}

func jsonContents(uri string, v any) (*sdk.ReadResourceResult, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mcp: encode %s: %w", uri, err)
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}

// subscribe accepts subscriptions to zhub://devices and to visible
// devices; anything else is "resource not found".
func (s *Server) subscribe(_ context.Context, req *sdk.SubscribeRequest) error {
	uri := req.Params.URI
	if uri == devicesURI {
		return nil
	}
	if name, ok := deviceFromURI(uri); ok {
		if e, err := s.resolve(name); err == nil && deviceURI(e.name()) == uri {
			return nil
		}
	}
	return sdk.ResourceNotFoundError(uri)
}

// refreshCatalog brings the listed device resources and the tools in line
// with the devices and their context. Unchanged entries are left alone, so
// a refresh that changes nothing sends no list_changed.
func (s *Server) refreshCatalog() {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	es := s.entries()

	want := map[string]*sdk.Resource{}
	for _, e := range es {
		r := &sdk.Resource{URI: deviceURI(e.name()), Name: e.name(), Title: titleOf(e), Description: describeDevice(e),
			MIMEType: "application/json"}
		want[r.URI] = r
	}
	var gone []string
	for uri := range s.resources {
		if want[uri] == nil {
			gone = append(gone, uri)
		}
	}
	if len(gone) > 0 {
		slices.Sort(gone)
		s.sdk.RemoveResources(gone...)
		for _, uri := range gone {
			delete(s.resources, uri)
		}
	}
	for _, uri := range sortedKeys(want) {
		r := want[uri]
		key := r.Title + "\x00" + r.Description
		if s.resources[uri] == key {
			continue
		}
		s.resources[uri] = key
		s.sdk.AddResource(r, s.readDevice)
	}

	defs := s.toolSet(es)
	var goneTools []string
	for name := range s.toolDefs {
		if !slices.ContainsFunc(defs, func(t toolDef) bool { return t.tool.Name == name }) {
			goneTools = append(goneTools, name) // the group tools once no group is left
		}
	}
	if len(goneTools) > 0 {
		slices.Sort(goneTools)
		s.sdk.RemoveTools(goneTools...)
		for _, name := range goneTools {
			delete(s.toolDefs, name)
		}
	}
	for _, t := range defs {
		b, _ := json.Marshal(t.tool)
		if s.toolDefs[t.tool.Name] == string(b) {
			continue
		}
		s.toolDefs[t.tool.Name] = string(b)
		t.add(s.sdk)
	}
}

// titleOf is a device's human title: "Sofa lamp (Living room)".
func titleOf(e entry) string {
	t := e.name()
	if e.ctx.Room != "" {
		t += " (" + e.ctx.Room + ")"
	}
	return t
}

// describeDevice is one line about a device: kind, model, room, aliases.
func describeDevice(e entry) string {
	var b strings.Builder
	b.WriteString(kindOf(e.dev))
	if m := modelOf(e.dev); m != "" {
		b.WriteString(", " + m)
	}
	if e.ctx.Room != "" {
		b.WriteString(", in " + e.ctx.Room)
	}
	if len(e.ctx.Aliases) > 0 {
		b.WriteString(", also called " + quoteList(e.ctx.Aliases))
	}
	if r := describeRules(e.ctx.Rules); r != "" {
		b.WriteString(" [" + r + "]")
	}
	return b.String()
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
