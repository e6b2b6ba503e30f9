package hub

// The network map asks the coordinator and each router for its neighbour
// table (ZDO Mgmt_Lqi_req, paged by start index) one after the other, as
// Zigbee2MQTT does: a map is rare and the radio is shared with everything
// else. A router that does not answer is recorded on its node and the map
// carries on without its links. Links follow Zigbee2MQTT's direction: the
// source is the neighbour, the target the node whose table lists it.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zdo"
)

// CoordinatorName is the coordinator's friendly name in the network map.
const CoordinatorName = "Coordinator"

// maxLqiPages bounds the pages read from one neighbour table (a table of
// at most 255 entries needs fewer; a node that keeps sending empty or
// repeated pages is stopped).
const maxLqiPages = 64

// NetworkMap is the network's topology as the routers see it.
type NetworkMap struct {
	// Nodes holds the coordinator first, then every device by friendly name.
	Nodes []MapNode
	// Links holds one entry per neighbour table row read.
	Links []MapLink
}

// MapNode is one device (or the coordinator) in a NetworkMap.
type MapNode struct {
	IEEE         zigbee.IEEE
	NWK          zigbee.NWK
	FriendlyName string
	// Type is "Coordinator", "Router", "EndDevice" or "Unknown".
	Type         string
	Manufacturer string
	// Model and Vendor are the definition's (Model falls back to the
	// device's model identifier).
	Model  string
	Vendor string
	// Description is the definition's description, if any.
	Description string
	LinkQuality uint8
	Available   bool
	LastSeen    time.Time
	// Queried is set for the nodes whose neighbour table was asked for;
	// Failed is why that failed (nil on success).
	Queried bool
	Failed  error
}

// MapEnd is one end of a MapLink.
type MapEnd struct {
	IEEE zigbee.IEEE
	NWK  zigbee.NWK
}

// MapLink is a neighbour table row: Target lists Source as a neighbour.
type MapLink struct {
	Source MapEnd
	Target MapEnd
	LQI    uint8
	Depth  uint8
	// Relationship is Source's relation to Target: 0 parent, 1 child,
	// 2 sibling, 3 none, 4 previous child.
	Relationship uint8
}

// NetworkMap reads the neighbour tables of the coordinator and of every
// router. It fails only when the network is down or ctx ends; a router
// that does not answer has Failed set.
func (h *Hub) NetworkMap(ctx context.Context) (NetworkMap, error) {
	start := time.Now()
	h.mu.Lock()
	up, info := h.netUp, h.netInfo
	h.mu.Unlock()
	if !up {
		return NetworkMap{}, fmt.Errorf("network map: %w", zigbee.ErrNetworkDown)
	}
	devs := h.Devices()
	m := NetworkMap{Nodes: make([]MapNode, 0, len(devs)+1)}
	m.Nodes = append(m.Nodes, MapNode{IEEE: info.IEEE, NWK: 0, FriendlyName: CoordinatorName,
		Type: "Coordinator", LinkQuality: 255, Available: true, LastSeen: time.Now()})
	for _, d := range devs {
		m.Nodes = append(m.Nodes, MapNode{IEEE: d.IEEE, NWK: d.NWK, FriendlyName: d.FriendlyName, Type: d.Type,
			Manufacturer: d.Manufacturer, Model: d.Definition.Model, Vendor: d.Definition.Vendor, Description: d.Definition.Description,
			LinkQuality: d.LinkQuality, Available: d.Available, LastSeen: d.LastSeen})
		if m.Nodes[len(m.Nodes)-1].Model == "" {
			m.Nodes[len(m.Nodes)-1].Model = d.Model
		}
	}
	byNWK := make(map[zigbee.NWK]zigbee.IEEE, len(m.Nodes))
	for _, n := range m.Nodes {
		byNWK[n.NWK] = n.IEEE
	}
	failed := 0
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if n.Type != "Coordinator" && n.Type != "Router" {
			continue
		}
		n.Queried = true
		t := target{ieee: n.IEEE, nwk: n.NWK, name: n.FriendlyName, offline: !n.Available, lastSeen: n.LastSeen}
		rows, err := h.neighbours(ctx, t)
		if ctx.Err() != nil {
			return NetworkMap{}, fmt.Errorf("network map: %w", ctx.Err())
		}
		if err != nil {
			n.Failed = err
			failed++
			h.log.Warn("network map: neighbour table failed", "event", "networkmap_node_failed",
				"device", n.FriendlyName, "err", err)
		}
		for _, r := range rows {
			src := r.IEEE
			if src == 0 || src == zigbee.IEEE(^uint64(0)) {
				src = byNWK[r.NWK] // unknown address in the table: resolve by NWK
			}
			m.Links = append(m.Links, MapLink{Source: MapEnd{IEEE: src, NWK: r.NWK}, Target: MapEnd{IEEE: n.IEEE, NWK: n.NWK},
				LQI: r.LQI, Depth: r.Depth, Relationship: uint8(r.Relationship)})
		}
	}
	h.log.Info("network map done", "event", "networkmap_done", "nodes", len(m.Nodes), "links", len(m.Links),
		"failed", failed, "elapsed_ms", time.Since(start).Milliseconds())
	return m, nil
}

// neighbours reads a node's whole neighbour table, page by page. The rows
// read before a failure are returned with the error.
func (h *Hub) neighbours(ctx context.Context, t target) ([]zdo.Neighbor, error) {
	var rows []zdo.Neighbor
	for range maxLqiPages {
		idx := len(rows)
		if idx > 255 {
			break
		}
		rsp, err := h.zdoRequest(ctx, t, fmt.Sprintf("neighbour table from %d", idx), zdo.MgmtLqiReq{StartIndex: uint8(idx)})
		if err != nil {
			return rows, err
		}
		page, ok := rsp.(zdo.MgmtLqiRsp)
		if !ok {
			return rows, &CommandError{Device: t.name, Op: "neighbour table", Kind: ErrRejected,
				Err: fmt.Errorf("unexpected answer %T", rsp)}
		}
		rows = append(rows, page.Neighbors...)
		if len(page.Neighbors) == 0 || len(rows) >= int(page.Total) {
			return rows, nil
		}
	}
	return rows, &CommandError{Device: t.name, Op: "neighbour table", Kind: ErrRejected,
		Err: errors.New("table did not end")}
}
