package hubtest

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

// storeAdapter adapts the SQLite store to hub.Store as cmd/zhub's
// hubStore does (cmd/zhub/hub.go; keep the two in step). The hub cannot
// import hub/store, and a main package cannot be imported, hence the copy.
type storeAdapter struct{ s *store.Store }

var _ hub.Store = storeAdapter{}

// writeParallelism is how many writes the adapter keeps queued at once:
// the store commits what is queued in one transaction.
const writeParallelism = 64

func (a storeAdapter) LoadDevices(ctx context.Context) ([]hub.StoredDevice, error) {
	devs, err := a.s.Devices(ctx)
	if err != nil {
		return nil, err
	}
	states, err := a.s.States(ctx)
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

func (a storeAdapter) SaveDevices(ctx context.Context, devices []hub.StoredDevice) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writeParallelism)
	for _, d := range devices {
		g.Go(func() error {
			return a.s.PutDevice(gctx, store.Device{IEEE: d.IEEE.String(), NWK: uint16(d.NWK),
				FriendlyName: d.FriendlyName, Model: d.Model, Vendor: d.Vendor, Data: d.Data})
		})
	}
	return g.Wait()
}

func (a storeAdapter) DeleteDevice(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.s.DeleteDevice(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func (a storeAdapter) SaveStates(ctx context.Context, states []hub.StoredState) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writeParallelism)
	for _, s := range states {
		g.Go(func() error { return a.s.PutState(gctx, s.IEEE.String(), s.State, s.At) })
	}
	return g.Wait()
}

func (a storeAdapter) AppendHistory(ctx context.Context, points []hub.HistoryPoint) error {
	pts := make([]store.HistoryPoint, len(points))
	for i, p := range points {
		pts[i] = store.HistoryPoint{IEEE: p.IEEE.String(), Property: p.Property, At: p.At, Value: p.Value}
	}
	return a.s.AppendHistory(ctx, pts...)
}

func (a storeAdapter) History(ctx context.Context, ieee zigbee.IEEE, property string, from, to time.Time, limit int) ([]hub.HistoryPoint, error) {
	pts, err := a.s.History(ctx, ieee.String(), property, from, to, limit)
	if err != nil {
		return nil, err
	}
	out := make([]hub.HistoryPoint, len(pts))
	for i, p := range pts {
		out[i] = hub.HistoryPoint{IEEE: ieee, Property: p.Property, At: p.At, Value: p.Value}
	}
	return out, nil
}
