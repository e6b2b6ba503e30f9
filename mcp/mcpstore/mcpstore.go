package mcpstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/zigbee"
)

// Store implements mcp.ContextStore over a *store.Store.
type Store struct{ S *store.Store }

var _ mcp.ContextStore = Store{}

// LoadContexts returns every stored device context, ordered by IEEE
// address.
func (a Store) LoadContexts(ctx context.Context) ([]mcp.DeviceContext, error) {
	cs, err := a.S.DeviceContexts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mcp.DeviceContext, 0, len(cs))
	for _, c := range cs {
		ieee, err := zigbee.ParseIEEE(c.IEEE)
		if err != nil {
			return nil, fmt.Errorf("stored device context %q: %w", c.IEEE, err)
		}
		dc := mcp.DeviceContext{IEEE: ieee, Room: c.Room, Aliases: c.Aliases, Notes: c.Notes}
		if err := json.Unmarshal(c.Rules, &dc.Rules); err != nil {
			return nil, fmt.Errorf("stored device context %s: rules: %w", c.IEEE, err)
		}
		out = append(out, dc)
	}
	return out, nil
}

// SaveContext inserts or replaces the context of c.IEEE, a device the
// store holds (otherwise the store's ErrNotFound).
func (a Store) SaveContext(ctx context.Context, c mcp.DeviceContext) error {
	rules, err := json.Marshal(c.Rules)
	if err != nil {
		return err
	}
	return a.S.PutDeviceContext(ctx, store.DeviceContext{IEEE: c.IEEE.String(), Room: c.Room, Aliases: c.Aliases, Notes: c.Notes, Rules: rules})
}

// DeleteContext removes the context of a device; none is not an error.
func (a Store) DeleteContext(ctx context.Context, ieee zigbee.IEEE) error {
	if err := a.S.DeleteDeviceContext(ctx, ieee.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
