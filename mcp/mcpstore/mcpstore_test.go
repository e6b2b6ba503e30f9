package mcpstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/mcp"
	"github.com/zhubhq/zhub/mcp/mcpstore"
	"github.com/zhubhq/zhub/zigbee"
)

// openStore opens a real SQLite store (hubtest.OpenStore) holding devices
// 1 to 3.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	s := hubtest.OpenStore(t)
	for i := 1; i <= 3; i++ {
		if err := s.PutDevice(t.Context(), store.Device{IEEE: ieee(i).String(), FriendlyName: fmt.Sprintf("device_%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func ieee(i int) zigbee.IEEE { return zigbee.IEEE(0x00124b0000000000 + uint64(i)) }

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func load(t *testing.T, a mcpstore.Store) []mcp.DeviceContext {
	t.Helper()
	cs, err := a.LoadContexts(t.Context())
	mustNil(t, "load contexts", err)
	return cs
}

// lock is a context with every field set.
var lock = mcp.DeviceContext{IEEE: ieee(2), Room: "hall", Aliases: []string{"front door", "door lock"}, Notes: "battery lasts a year",
	Rules: mcp.Rules{Access: mcp.AccessConfirm, Deny: []string{"state=UNLOCK"}}}

func TestStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, a mcpstore.Store, s *store.Store)
	}{
		{"contexts come back as saved, ordered by IEEE address", func(t *testing.T, a mcpstore.Store, _ *store.Store) {
			ctx := t.Context()
			bare := mcp.DeviceContext{IEEE: ieee(1), Room: "kitchen", Aliases: []string{}}
			mustNil(t, "save lock", a.SaveContext(ctx, lock))
			mustNil(t, "save bare", a.SaveContext(ctx, bare))
			if got, want := load(t, a), []mcp.DeviceContext{bare, lock}; !reflect.DeepEqual(got, want) {
				t.Errorf("loaded %+v\nwant %+v", got, want)
			}
		}},
		{"saving again replaces the context", func(t *testing.T, a mcpstore.Store, _ *store.Store) {
			ctx := t.Context()
			mustNil(t, "save", a.SaveContext(ctx, lock))
			relaxed := mcp.DeviceContext{IEEE: lock.IEEE, Room: "porch", Aliases: []string{"lock"}, Rules: mcp.Rules{Access: mcp.AccessReadOnly}}
			mustNil(t, "save again", a.SaveContext(ctx, relaxed))
			if got, want := load(t, a), []mcp.DeviceContext{relaxed}; !reflect.DeepEqual(got, want) {
				t.Errorf("loaded %+v\nwant %+v", got, want)
			}
		}},
		{"delete removes the context", func(t *testing.T, a mcpstore.Store, _ *store.Store) {
			mustNil(t, "save", a.SaveContext(t.Context(), lock))
			mustNil(t, "delete", a.DeleteContext(t.Context(), lock.IEEE))
			if got := load(t, a); len(got) != 0 {
				t.Errorf("after delete: %+v", got)
			}
		}},
		{"deleting a context that is not stored is not an error", func(t *testing.T, a mcpstore.Store, _ *store.Store) {
			mustNil(t, "delete", a.DeleteContext(t.Context(), ieee(3)))
		}},
		{"deleting the device deletes its context", func(t *testing.T, a mcpstore.Store, s *store.Store) {
			mustNil(t, "save", a.SaveContext(t.Context(), lock))
			mustNil(t, "delete device", s.DeleteDevice(t.Context(), lock.IEEE.String()))
			if got := load(t, a); len(got) != 0 {
				t.Errorf("after deleting the device: %+v", got)
			}
		}},
		{"the context of a device not in the registry fails with the store's ErrNotFound", func(t *testing.T, a mcpstore.Store, _ *store.Store) {
			if err := a.SaveContext(t.Context(), mcp.DeviceContext{IEEE: ieee(9), Room: "attic"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("save: %v, want store.ErrNotFound", err)
			}
		}},
		{"rules mcp cannot read fail the load, naming the device", func(t *testing.T, a mcpstore.Store, s *store.Store) {
			mustNil(t, "put", s.PutDeviceContext(t.Context(), store.DeviceContext{IEEE: ieee(1).String(), Rules: json.RawMessage(`{"access":5}`)}))
			_, err := a.LoadContexts(t.Context())
			if want := "stored device context " + ieee(1).String() + ": rules: "; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("load: %v, want an error starting %q", err, want)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			tc.run(t, mcpstore.Store{S: s}, s)
		})
	}
}

// TestClosedStore: every method reports the store's ErrClosed, none
// swallows it (DeleteContext ignores only ErrNotFound).
func TestClosedStore(t *testing.T) {
	s := openStore(t)
	mustNil(t, "close", s.Close(t.Context()))
	a := mcpstore.Store{S: s}
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"LoadContexts", func() error { _, err := a.LoadContexts(ctx); return err }},
		{"SaveContext", func() error { return a.SaveContext(ctx, lock) }},
		{"DeleteContext", func() error { return a.DeleteContext(ctx, lock.IEEE) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, store.ErrClosed) {
				t.Errorf("%v, want store.ErrClosed", err)
			}
		})
	}
}
