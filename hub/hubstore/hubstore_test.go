package hubstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubstore"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee"
)

// at is a time the store keeps exactly (milliseconds, UTC).
func at(ms int64) time.Time { return time.UnixMilli(1_700_000_000_000 + ms).UTC() }

func device(i int) hub.StoredDevice {
	return hub.StoredDevice{IEEE: zigbee.IEEE(0x00124b0000000000 + uint64(i)), NWK: zigbee.NWK(0x1000 + i),
		FriendlyName: fmt.Sprintf("device_%03d", i), Model: "TS0505B", Vendor: "_TZ3210", Data: json.RawMessage(`{"endpoints":[1]}`)}
}

func state(i int, on bool) hub.StoredState {
	s := `{"state":"OFF"}`
	if on {
		s = `{"state":"ON"}`
	}
	return hub.StoredState{IEEE: device(i).IEEE, State: json.RawMessage(s), At: at(int64(i))}
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func load(t *testing.T, a hubstore.Store) map[zigbee.IEEE]hub.StoredDevice {
	t.Helper()
	devs, err := a.LoadDevices(t.Context())
	mustNil(t, "load devices", err)
	out := make(map[zigbee.IEEE]hub.StoredDevice, len(devs))
	for _, d := range devs {
		out[d.IEEE] = d
	}
	if len(out) != len(devs) {
		t.Fatalf("load devices: %d devices, %d distinct", len(devs), len(out))
	}
	return out
}

func TestStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, a hubstore.Store)
	}{
		{"devices come back with their state, if saved", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1), device(2)}))
			mustNil(t, "save states", a.SaveStates(ctx, []hub.StoredState{state(1, true)}))
			withState := device(1)
			withState.State, withState.StateAt = state(1, true).State, state(1, true).At
			want := map[zigbee.IEEE]hub.StoredDevice{withState.IEEE: withState, device(2).IEEE: device(2)}
			if got := load(t, a); !reflect.DeepEqual(got, want) {
				t.Errorf("loaded %+v\nwant %+v", got, want)
			}
		}},
		{"saving again replaces the device and its state", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1)}))
			mustNil(t, "save states", a.SaveStates(ctx, []hub.StoredState{state(1, true)}))
			moved := device(1)
			moved.NWK, moved.FriendlyName = 0x2222, "renamed"
			mustNil(t, "save devices again", a.SaveDevices(ctx, []hub.StoredDevice{moved}))
			mustNil(t, "save states again", a.SaveStates(ctx, []hub.StoredState{state(1, false)}))
			got := load(t, a)[moved.IEEE]
			if got.NWK != moved.NWK || got.FriendlyName != moved.FriendlyName || string(got.State) != `{"state":"OFF"}` {
				t.Errorf("loaded %+v, want NWK 0x2222, renamed, OFF", got)
			}
		}},
		{"more writes than are queued at once all commit", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			const n = 200 // several times the adapter's parallelism
			var devs []hub.StoredDevice
			var states []hub.StoredState
			for i := range n {
				devs = append(devs, device(i))
				states = append(states, state(i, i%2 == 0))
			}
			mustNil(t, "save devices", a.SaveDevices(ctx, devs))
			mustNil(t, "save states", a.SaveStates(ctx, states))
			got := load(t, a)
			if len(got) != n {
				t.Fatalf("loaded %d devices, want %d", len(got), n)
			}
			for _, s := range states {
				if d := got[s.IEEE]; string(d.State) != string(s.State) || !d.StateAt.Equal(s.At) {
					t.Errorf("%v: state %s at %v, want %s at %v", s.IEEE, d.State, d.StateAt, s.State, s.At)
				}
			}
		}},
		{"delete removes the device, its state and its history", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1), device(2)}))
			mustNil(t, "save states", a.SaveStates(ctx, []hub.StoredState{state(1, true)}))
			mustNil(t, "append history", a.AppendHistory(ctx, []hub.HistoryPoint{{IEEE: device(1).IEEE, Property: "state", At: at(1), Value: "ON"}}))
			mustNil(t, "delete", a.DeleteDevice(ctx, device(1).IEEE))
			got := load(t, a)
			if _, ok := got[device(1).IEEE]; ok || len(got) != 1 {
				t.Errorf("after delete: %v", got)
			}
			pts, err := a.History(ctx, device(1).IEEE, "", time.Time{}, time.Time{}, 0)
			mustNil(t, "history", err)
			if len(pts) != 0 {
				t.Errorf("history after delete: %v", pts)
			}
		}},
		{"deleting a device that is not stored is not an error", func(t *testing.T, a hubstore.Store) {
			mustNil(t, "delete", a.DeleteDevice(t.Context(), device(9).IEEE))
		}},
		{"history comes back oldest first, filtered and limited", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			ieee := device(1).IEEE
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1)}))
			mustNil(t, "append history", a.AppendHistory(ctx, []hub.HistoryPoint{
				{IEEE: ieee, Property: "temperature", At: at(30), Value: 21.5},
				{IEEE: ieee, Property: "occupancy", At: at(20), Value: true},
				{IEEE: ieee, Property: "temperature", At: at(10), Value: 20.0},
				{IEEE: ieee, Property: "temperature", At: at(40), Value: 22.0},
			}))
			for _, q := range []struct {
				property string
				from, to time.Time
				limit    int
				want     []hub.HistoryPoint
			}{
				{"", time.Time{}, time.Time{}, 0, []hub.HistoryPoint{
					{IEEE: ieee, Property: "temperature", At: at(10), Value: 20.0},
					{IEEE: ieee, Property: "occupancy", At: at(20), Value: 1.0}, // bools come back as 1 and 0
					{IEEE: ieee, Property: "temperature", At: at(30), Value: 21.5},
					{IEEE: ieee, Property: "temperature", At: at(40), Value: 22.0},
				}},
				{"temperature", at(10), at(40), 0, []hub.HistoryPoint{
					{IEEE: ieee, Property: "temperature", At: at(10), Value: 20.0},
					{IEEE: ieee, Property: "temperature", At: at(30), Value: 21.5},
				}},
				{"temperature", time.Time{}, time.Time{}, 1, []hub.HistoryPoint{
					{IEEE: ieee, Property: "temperature", At: at(10), Value: 20.0},
				}},
			} {
				got, err := a.History(ctx, ieee, q.property, q.from, q.to, q.limit)
				mustNil(t, "history", err)
				if !reflect.DeepEqual(got, q.want) {
					t.Errorf("History(%q, %v, %v, %d) = %v\nwant %v", q.property, q.from, q.to, q.limit, got, q.want)
				}
			}
		}},
		{"an empty history append writes nothing", func(t *testing.T, a hubstore.Store) {
			mustNil(t, "append history", a.AppendHistory(t.Context(), nil))
		}},
		{"the state of an unknown device fails with the store's ErrNotFound", func(t *testing.T, a hubstore.Store) {
			if err := a.SaveStates(t.Context(), []hub.StoredState{state(5, true)}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("save states: %v, want store.ErrNotFound", err)
			}
		}},
		{"a friendly name taken by another device fails with ErrDuplicateName", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1)}))
			clash := device(2)
			clash.FriendlyName = device(1).FriendlyName
			if err := a.SaveDevices(ctx, []hub.StoredDevice{clash}); !errors.Is(err, store.ErrDuplicateName) {
				t.Errorf("save devices: %v, want store.ErrDuplicateName", err)
			}
		}},
		{"history of an unknown device fails the whole append", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1)}))
			err := a.AppendHistory(ctx, []hub.HistoryPoint{
				{IEEE: device(1).IEEE, Property: "state", At: at(1), Value: "ON"},
				{IEEE: device(7).IEEE, Property: "state", At: at(1), Value: "ON"},
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("append history: %v, want store.ErrNotFound", err)
			}
			pts, err := a.History(ctx, device(1).IEEE, "", time.Time{}, time.Time{}, 0)
			mustNil(t, "history", err)
			if len(pts) != 0 {
				t.Errorf("history after a failed append: %v", pts)
			}
		}},
		{"groups come back as saved; the last save is the whole set", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1), device(2)}))
			room := hub.StoredGroup{ID: 1, Name: "living_room", Created: at(1),
				Members: []hub.StoredGroupMember{{IEEE: device(1).IEEE, Endpoint: 1}, {IEEE: device(2).IEEE, Endpoint: 2}}}
			hall := hub.StoredGroup{ID: 0xFFF7, Name: "hall", Created: at(2), Members: []hub.StoredGroupMember{}}
			mustNil(t, "save groups", a.SaveGroups(ctx, []hub.StoredGroup{room, hall}))
			got, err := a.LoadGroups(ctx)
			mustNil(t, "load groups", err)
			if want := []hub.StoredGroup{room, hall}; !reflect.DeepEqual(got, want) {
				t.Errorf("loaded %+v\nwant %+v", got, want)
			}
			mustNil(t, "save groups", a.SaveGroups(ctx, []hub.StoredGroup{hall}))
			got, err = a.LoadGroups(ctx)
			mustNil(t, "load groups", err)
			if want := []hub.StoredGroup{hall}; !reflect.DeepEqual(got, want) {
				t.Errorf("after saving only hall: %+v", got)
			}
		}},
		{"a member whose device is not stored is skipped, not an error", func(t *testing.T, a hubstore.Store) {
			ctx := t.Context()
			mustNil(t, "save devices", a.SaveDevices(ctx, []hub.StoredDevice{device(1)}))
			g := hub.StoredGroup{ID: 3, Name: "g", Created: at(3),
				Members: []hub.StoredGroupMember{{IEEE: device(1).IEEE, Endpoint: 1}, {IEEE: device(8).IEEE, Endpoint: 1}}}
			mustNil(t, "save groups", a.SaveGroups(ctx, []hub.StoredGroup{g}))
			got, err := a.LoadGroups(ctx)
			mustNil(t, "load groups", err)
			g.Members = g.Members[:1]
			if !reflect.DeepEqual(got, []hub.StoredGroup{g}) {
				t.Errorf("loaded %+v, want %+v", got, g)
			}
			mustNil(t, "delete", a.DeleteDevice(ctx, device(1).IEEE))
			got, err = a.LoadGroups(ctx)
			mustNil(t, "load groups", err)
			if len(got) != 1 || len(got[0].Members) != 0 {
				t.Errorf("after deleting the member's device: %+v", got)
			}
		}},
		{"an invalid group fails with the store's ErrInvalid", func(t *testing.T, a hubstore.Store) {
			if err := a.SaveGroups(t.Context(), []hub.StoredGroup{{ID: 0, Name: "zero"}}); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("save groups: %v, want store.ErrInvalid", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, hubstore.Store{S: hubtest.OpenStore(t)}) })
	}
}

// TestClosedStore: every method reports the store's ErrClosed, none
// swallows it (DeleteDevice ignores only ErrNotFound).
func TestClosedStore(t *testing.T) {
	s := hubtest.OpenStore(t)
	mustNil(t, "close", s.Close(t.Context()))
	a := hubstore.Store{S: s}
	ctx := t.Context()
	ieee := device(1).IEEE
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"LoadDevices", func() error { _, err := a.LoadDevices(ctx); return err }},
		{"SaveDevices", func() error { return a.SaveDevices(ctx, []hub.StoredDevice{device(1)}) }},
		{"DeleteDevice", func() error { return a.DeleteDevice(ctx, ieee) }},
		{"SaveStates", func() error { return a.SaveStates(ctx, []hub.StoredState{state(1, true)}) }},
		{"AppendHistory", func() error {
			return a.AppendHistory(ctx, []hub.HistoryPoint{{IEEE: ieee, Property: "state", At: at(1), Value: "ON"}})
		}},
		{"History", func() error { _, err := a.History(ctx, ieee, "", time.Time{}, time.Time{}, 0); return err }},
		{"LoadGroups", func() error { _, err := a.LoadGroups(ctx); return err }},
		{"SaveGroups", func() error { return a.SaveGroups(ctx, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, store.ErrClosed) {
				t.Errorf("%v, want store.ErrClosed", err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("%q: want the store's error unchanged", err)
			}
		})
	}
}
