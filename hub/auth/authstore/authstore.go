// Package authstore adapts the SQLite store (hub/store) to auth.Store.
// Only cmd/zhub and tests import it, so front doors that use hub/auth never
// depend on hub/store.
package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zhubhq/zhub/hub/auth"
	"github.com/zhubhq/zhub/hub/store"
)

// Store implements auth.Store over a *store.Store.
type Store struct{ S *store.Store }

var _ auth.Store = Store{}

// PutToken stores r.
func (a Store) PutToken(ctx context.Context, r auth.Record) error {
	return a.S.PutToken(ctx, store.Token{Name: r.Name, Hash: r.Hash, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt})
}

// Tokens returns every stored record.
func (a Store) Tokens(ctx context.Context) ([]auth.Record, error) {
	ts, err := a.S.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]auth.Record, len(ts))
	for i, t := range ts {
		out[i] = auth.Record{Name: t.Name, Hash: t.Hash, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
	}
	return out, nil
}

// DeleteToken removes a record; an unknown name wraps auth.ErrNotFound.
func (a Store) DeleteToken(ctx context.Context, name string) error {
	err := a.S.DeleteToken(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", err, auth.ErrNotFound)
	}
	return err
}

// TouchToken records a token's last use.
func (a Store) TouchToken(ctx context.Context, name string, at time.Time) error {
	return a.S.TouchToken(ctx, name, at)
}
