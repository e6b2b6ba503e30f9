package hub_test

import (
	"context"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// startMapped is a hub on the default emulated network with every device
// paired (all join through the coordinator, so its neighbour table has
// more entries than one Mgmt_Lqi_rsp page of the emulated dongle holds).
func startMapped(t *testing.T) (*hubtest.Env, zigbee.IEEE) {
	t.Helper()
	var ieees []zigbee.IEEE
	for _, d := range sim.DefaultDevices() {
		ieees = append(ieees, d.IEEE)
	}
	env := hubtest.Start(t, hubtest.Options{Devices: sim.DefaultDevices()})
	if _, err := env.Stack.Pair(context.Background(), env.Net, hubtest.Pairing{Devices: ieees, Retry: true}); err != nil {
		t.Fatal(err)
	}
	ci, err := env.Net.Coordinator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return env, ci.IEEE
}

type linkKey struct {
	src, dst zigbee.IEEE
	rel      uint8
}

func linksOf(m hub.NetworkMap) map[linkKey]hub.MapLink {
	out := make(map[linkKey]hub.MapLink, len(m.Links))
	for _, l := range m.Links {
		out[linkKey{l.Source.IEEE, l.Target.IEEE, l.Relationship}] = l
	}
	return out
}

func TestNetworkMap(t *testing.T) {
	env, coord := startMapped(t)
	ctx := context.Background()
	devs := env.Hub.Devices()
	m, err := env.Hub.NetworkMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != len(devs)+1 {
		t.Fatalf("%d nodes, want %d devices and the coordinator", len(m.Nodes), len(devs))
	}
	c := m.Nodes[0]
	if c.IEEE != coord || c.NWK != 0 || c.Type != "Coordinator" || c.FriendlyName != hub.CoordinatorName || !c.Queried || c.Failed != nil {
		t.Fatalf("coordinator node %+v", c)
	}
	links := linksOf(m)
	routers := 0
	for i, d := range devs {
		n := m.Nodes[i+1]
		t.Run(d.FriendlyName, func(t *testing.T) {
			if n.IEEE != d.IEEE || n.NWK != d.NWK || n.FriendlyName != d.FriendlyName || n.Type != d.Type {
				t.Fatalf("node %+v for device %s %v %v %s", n, d.FriendlyName, d.IEEE, d.NWK, d.Type)
			}
			// The coordinator lists every device as its child.
			l, ok := links[linkKey{d.IEEE, coord, 1}]
			if !ok {
				t.Fatalf("no link child %v -> coordinator in %+v", d.IEEE, m.Links)
			}
			if l.Source.NWK != d.NWK || l.Target.NWK != 0 || l.Depth != 1 || l.LQI == 0 {
				t.Errorf("link %+v", l)
			}
			if n.Type != "Router" {
				if n.Queried {
					t.Errorf("end device %s was asked for its neighbour table", d.FriendlyName)
				}
				return
			}
			routers++
			if !n.Queried || n.Failed != nil {
				t.Fatalf("router node %+v", n)
			}
			// A router lists the coordinator as its parent.
			if l, ok := links[linkKey{coord, d.IEEE, 0}]; !ok || l.Source.NWK != 0 || l.Target.NWK != d.NWK {
				t.Errorf("no link parent coordinator -> %v: %+v", d.IEEE, m.Links)
			}
		})
	}
	if routers == 0 || len(m.Links) != len(devs)+routers {
		t.Errorf("%d links for %d devices and %d routers", len(m.Links), len(devs), routers)
	}
}

// TestNetworkMapRouterGone: a router that left answers nothing; the map
// records it as failed and still has the rest.
func TestNetworkMapRouterGone(t *testing.T) {
	env, coord := startMapped(t)
	ctx := context.Background()
	var gone hub.Device
	for _, d := range env.Hub.Devices() {
		if d.Type == "Router" {
			gone = d
			break
		}
	}
	if gone.IEEE == 0 {
		t.Fatal("no router on the default network")
	}
	if err := env.Net.Leave(ctx, gone.IEEE); err != nil {
		t.Fatal(err)
	}
	if _, err := hubtest.Next(ctx, env.Sub, func(e hub.DeviceLeft) bool { return e.IEEE == gone.IEEE }); err != nil {
		t.Fatal(err)
	}
	m, err := env.Hub.NetworkMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	links := linksOf(m)
	for _, n := range m.Nodes {
		switch {
		case n.IEEE == gone.IEEE:
			if !n.Queried || n.Failed == nil {
				t.Errorf("gone router %+v, want failed", n)
			}
			if _, ok := links[linkKey{coord, n.IEEE, 0}]; ok {
				t.Errorf("gone router has a link to its parent")
			}
			if _, ok := links[linkKey{n.IEEE, coord, 1}]; ok {
				t.Errorf("the coordinator still lists the gone router")
			}
		case n.Queried && n.Failed != nil:
			t.Errorf("node %s failed: %v", n.FriendlyName, n.Failed)
		case n.Type != "Coordinator":
			if _, ok := links[linkKey{n.IEEE, coord, 1}]; !ok {
				t.Errorf("no link %s -> coordinator", n.FriendlyName)
			}
		}
	}
}
