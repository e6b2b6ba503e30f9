package hubstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee"
)

// Store implements hub.Store over a *store.Store.
type Store struct{ S *store.Store }

var (
	_ hub.Store      = Store{}
	_ hub.GroupStore = Store{}
)

// writeParallelism is how many writes the adapter keeps queued at once:
// the store commits everything queued in one transaction, so a flush of
// many device states costs one commit instead of one per device.
const writeParallelism = 64

// LoadDevices returns every stored device with its last state, if any.
func (a Store) LoadDevices(ctx context.Context) ([]hub.StoredDevice, error) {
	devs, err := a.S.Devices(ctx)
	if err != nil {
		return nil, err
	}
	states, err := a.S.States(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]hub.StoredDevice, 0, len(devs))
	for _, d := range devs {
		ieee, err := zigbee.ParseIEEE(d.IEEE)
		if err != nil {
			return nil, fmt.Errorf("stored device %q: %w", d.IEEE, err)
		}
		sd := hub.StoredDevice{IEEE: ieee, NWK: zigbee.NWK(d.NWK), FriendlyName: d.FriendlyName,
			Model: d.Model, Vendor: d.Vendor, Data: d.Data}
		if st, ok := states[d.IEEE]; ok {
			sd.State, sd.StateAt = st.State, st.UpdatedAt
		}
		out = append(out, sd)
	}
	return out, nil
}

// SaveDevices inserts or replaces each device (not its state).
func (a Store) SaveDevices(ctx context.Context, devices []hub.StoredDevice) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writeParallelism)
	for _, d := range devices {
		g.Go(func() error {
			return a.S.PutDevice(gctx, store.Device{IEEE: d.IEEE.String(), NWK: uint16(d.NWK),
				FriendlyName: d.FriendlyName, Model: d.Model, Vendor: d.Vendor, Data: d.Data})
		})
	}
	return g.Wait()
}

// DeleteDevice removes a device with its state and history; one that is
// not stored is not an error.
func (a Store) DeleteDevice(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.S.DeleteDevice(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// SaveStates replaces the last state of each device, all in one store
// operation (one write for a whole flush instead of one per device).
func (a Store) SaveStates(ctx context.Context, states []hub.StoredState) error {
	rows := make([]store.DeviceState, len(states))
	for i, s := range states {
		rows[i] = store.DeviceState{IEEE: s.IEEE.String(), State: s.State, At: s.At}
	}
	return a.S.PutStates(ctx, rows...)
}

// AppendHistory records the points in one write.
func (a Store) AppendHistory(ctx context.Context, points []hub.HistoryPoint) error {
	pts := make([]store.HistoryPoint, len(points))
	for i, p := range points {
		pts[i] = store.HistoryPoint{IEEE: p.IEEE.String(), Property: p.Property, At: p.At, Value: p.Value}
	}
	return a.S.AppendHistory(ctx, pts...)
}

// History returns one device's points in [from, to), oldest first.
func (a Store) History(ctx context.Context, ieee zigbee.IEEE, property string, from, to time.Time, limit int) ([]hub.HistoryPoint, error) {
	pts, err := a.S.History(ctx, ieee.String(), property, from, to, limit)
	if err != nil {
		return nil, err
	}
	out := make([]hub.HistoryPoint, len(pts))
	for i, p := range pts {
		out[i] = hub.HistoryPoint{IEEE: ieee, Property: p.Property, At: p.At, Value: p.Value}
	}
	return out, nil
}

// LoadGroups returns every stored group with its members.
func (a Store) LoadGroups(ctx context.Context) ([]hub.StoredGroup, error) {
	gs, err := a.S.Groups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]hub.StoredGroup, len(gs))
	for i, g := range gs {
		sg := hub.StoredGroup{ID: g.ID, Name: g.Name, Created: g.CreatedAt, Members: make([]hub.StoredGroupMember, len(g.Members))}
		for j, m := range g.Members {
			ieee, err := zigbee.ParseIEEE(m.IEEE)
			if err != nil {
				return nil, fmt.Errorf("stored group %d member %q: %w", g.ID, m.IEEE, err)
			}
			sg.Members[j] = hub.StoredGroupMember{IEEE: ieee, Endpoint: m.Endpoint}
		}
		out[i] = sg
	}
	return out, nil
}

// SaveGroups replaces the stored groups with groups, in one write. Members
// whose device is not stored are skipped, as hub.GroupStore requires.
func (a Store) SaveGroups(ctx context.Context, groups []hub.StoredGroup) error {
	gs := make([]store.Group, len(groups))
	for i, g := range groups {
		sg := store.Group{ID: g.ID, Name: g.Name, CreatedAt: g.Created, Members: make([]store.GroupMember, len(g.Members))}
		for j, m := range g.Members {
			sg.Members[j] = store.GroupMember{IEEE: m.IEEE.String(), Endpoint: m.Endpoint}
		}
		gs[i] = sg
	}
	if err := a.S.ReplaceGroups(ctx, gs); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
