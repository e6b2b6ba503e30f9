package mqttbridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhubhq/zhub/hub"
)

// networkMapTimeout bounds a networkmap request: it asks every router in
// turn, so it may take much longer than one command (CommandTimeout).
const networkMapTimeout = 5 * time.Minute

// reqNetworkMap answers bridge/request/networkmap (interfaces.md A.7):
// {"type":"raw"|"graphviz"|"plantuml","routes":bool} or a bare type.
// Routing tables are not read: the answer's "routes" is always false and
// the links' "routes" lists are empty.
func (b *Bridge) reqNetworkMap(_ context.Context, r Request) (map[string]any, error) {
	typ, ok := r.String("type", true)
	if !ok || typ == "" {
		return nil, invalid(`want {"type": "raw"|"graphviz"|"plantuml"} or the bare type`)
	}
	switch typ {
	case "raw", "graphviz":
	case "plantuml":
		return nil, fmt.Errorf("%w: plantuml, use raw or graphviz", ErrNotSupported)
	default:
		return nil, invalid("type '%s' is not supported, allowed are raw, graphviz", typ)
	}
	// The request's own context ends after CommandTimeout; a map needs a
	// round trip per router.
	ctx, cancel := context.WithTimeout(b.ctx, networkMapTimeout)
	defer cancel()
	m, err := b.h.NetworkMap(ctx)
	if err != nil {
		return nil, err
	}
	var value any
	if typ == "raw" {
		value = rawNetworkMap(m)
	} else {
		value = graphvizNetworkMap(m)
	}
	return map[string]any{"type": typ, "routes": false, "value": value}, nil
}

// Zigbee2MQTT's raw network map shapes.
type (
	rawMap struct {
		Nodes []rawNode `json:"nodes"`
		Links []rawLink `json:"links"`
	}
	rawNode struct {
		IEEE         string         `json:"ieeeAddr"`
		FriendlyName string         `json:"friendlyName"`
		Type         string         `json:"type"`
		NWK          uint16         `json:"networkAddress"`
		Manufacturer string         `json:"manufacturerName,omitempty"`
		Model        string         `json:"modelID,omitempty"`
		Failed       []string       `json:"failed,omitempty"`
		LastSeen     *int64         `json:"lastSeen"`
		Definition   *rawDefinition `json:"definition,omitempty"`
		LinkQuality  uint8          `json:"linkquality"`
		Available    bool           `json:"available"`
	}
	rawDefinition struct {
		Model       string `json:"model"`
		Vendor      string `json:"vendor"`
		Description string `json:"description"`
		Supports    string `json:"supports"`
	}
	rawEnd struct {
		IEEE string `json:"ieeeAddr"`
		NWK  uint16 `json:"networkAddress"`
	}
	rawLink struct {
		Source       rawEnd `json:"source"`
		Target       rawEnd `json:"target"`
		LinkQuality  uint8  `json:"linkquality"`
		Depth        uint8  `json:"depth"`
		Routes       []any  `json:"routes"`
		SourceIEEE   string `json:"sourceIeeeAddr"`
		TargetIEEE   string `json:"targetIeeeAddr"`
		SourceNWK    uint16 `json:"sourceNwkAddr"`
		LQI          uint8  `json:"lqi"`
		Relationship uint8  `json:"relationship"`
	}
)

func rawNetworkMap(m hub.NetworkMap) rawMap {
	out := rawMap{Nodes: make([]rawNode, 0, len(m.Nodes)), Links: make([]rawLink, 0, len(m.Links))}
	for _, n := range m.Nodes {
		rn := rawNode{IEEE: n.IEEE.String(), FriendlyName: n.FriendlyName, Type: n.Type, NWK: uint16(n.NWK),
			Manufacturer: n.Manufacturer, Model: n.Model, LinkQuality: n.LinkQuality, Available: n.Available}
		if !n.LastSeen.IsZero() {
			ms := n.LastSeen.UnixMilli()
			rn.LastSeen = &ms
		}
		if n.Queried {
			rn.Failed = []string{}
			if n.Failed != nil {
				rn.Failed = []string{"lqi"}
			}
		}
		if n.Type != "Coordinator" && (n.Vendor != "" || n.Description != "") {
			rn.Definition = &rawDefinition{Model: n.Model, Vendor: n.Vendor, Description: n.Description}
		}
		out.Nodes = append(out.Nodes, rn)
	}
	for _, l := range m.Links {
		src, dst := l.Source.IEEE.String(), l.Target.IEEE.String()
		out.Links = append(out.Links, rawLink{
			Source: rawEnd{src, uint16(l.Source.NWK)}, Target: rawEnd{dst, uint16(l.Target.NWK)},
			LinkQuality: l.LQI, Depth: l.Depth, Routes: []any{}, SourceIEEE: src, TargetIEEE: dst,
			SourceNWK: uint16(l.Source.NWK), LQI: l.LQI, Relationship: l.Relationship})
	}
	return out
}

// graphvizNetworkMap renders the map as a DOT digraph: one node per device
// labelled with its name, model and addresses, one edge per link (from
// the neighbour to the node that lists it) labelled with the LQI. Nodes
// whose table could not be read are dashed.
func graphvizNetworkMap(m hub.NetworkMap) string {
	var sb strings.Builder
	sb.WriteString("digraph G {\n  node [shape=record];\n")
	for _, n := range m.Nodes {
		model := n.Model
		if model == "" {
			model = "unknown model"
		}
		if n.Type == "Coordinator" {
			model = "Coordinator"
		}
		label := fmt.Sprintf("{%s|%s (%s)|%s}", recordEscape(n.FriendlyName), n.IEEE, n.NWK, recordEscape(model))
		style := `style="rounded"`
		switch {
		case n.Queried && n.Failed != nil:
			style = `style="rounded, dashed"`
		case n.Type == "Coordinator":
			style = `style="rounded, bold"`
		case n.Type == "EndDevice":
			style = `style="rounded, dotted"`
		}
		fmt.Fprintf(&sb, "  %s [%s, label=%s];\n", dotQuote(n.IEEE.String()), style, dotQuote(label))
	}
	for _, l := range m.Links {
		fmt.Fprintf(&sb, "  %s -> %s [label=%s];\n", dotQuote(l.Source.IEEE.String()), dotQuote(l.Target.IEEE.String()),
			dotQuote(strconv.Itoa(int(l.LQI))))
	}
	sb.WriteString("}\n")
	return sb.String()
}

// dotQuote makes a DOT double-quoted string. In DOT only \" is an escape
// (other backslashes stay as they are, for the label's own escapes), so a
// trailing backslash, which would escape the closing quote, gets a space.
func dotQuote(s string) string {
	s = strings.NewReplacer(`"`, `\"`, "\n", `\n`, "\r", "").Replace(s)
	if strings.HasSuffix(s, `\`) {
		s += " "
	}
	return `"` + s + `"`
}

// recordEscape escapes the characters that structure a record label.
func recordEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `{`, `\{`, `}`, `\}`, `|`, `\|`, `<`, `\<`, `>`, `\>`).Replace(s)
}
