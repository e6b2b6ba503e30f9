package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openTest opens a store in a fresh directory with a fixed clock and closes
// it when the test ends.
func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "zhub.db")
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

const (
	ieeeA = "0x00124b0012345678"
	ieeeB = "0x00158d0001d82999"
	ieeeC = "0xa4c1380000000001"
)

func mustPutDevice(t *testing.T, s *Store, ieee, name string) {
	t.Helper()
	if err := s.PutDevice(t.Context(), Device{IEEE: ieee, FriendlyName: name}); err != nil {
		t.Fatalf("PutDevice(%s, %s): %v", ieee, name, err)
	}
}

func TestOpenConfiguresDatabase(t *testing.T) {
	tests := []struct {
		name       string
		durability Durability
		wantSync   int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"default is power-loss durable", DurablePowerLoss, 2},
		{"process-crash durable", DurableProcessCrash, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nested", "data", "zhub.db")
			s := openTest(t, Config{Path: path, Durability: tc.durability})
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatalf("database file: %v", err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %o, want 600", perm)
			}
			var mode string
			var fk, sync int
			if err := s.writer.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			if err := s.writer.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
				t.Errorf("writer foreign_keys = %d, %v; want 1", fk, err)
			}
			if err := s.writer.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != tc.wantSync {
				t.Errorf("synchronous = %d, %v; want %d", sync, err, tc.wantSync)
			}
			if _, err := s.readers.Exec("INSERT INTO settings (key, value) VALUES ('x', 'y')"); err == nil {
				t.Error("reader pool accepted a write; want query_only")
			}
			if got := s.Stats().SchemaVersion; got != len(migrations) {
				t.Errorf("SchemaVersion = %d, want %d", got, len(migrations))
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      Config
		wantIs   error
		skipRoot bool // root ignores permission bits
	}{
		{"empty path", Config{}, ErrInvalid, false},
		{"unknown durability", Config{Path: filepath.Join(dir, "a.db"), Durability: 7}, ErrInvalid, false},
		{"parent is a file", Config{Path: filepath.Join(notDir, "sub", "zhub.db")}, syscall.ENOTDIR, false},
		{"directory not writable", Config{Path: filepath.Join(readOnly, "zhub.db")}, os.ErrPermission, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipRoot && os.Geteuid() == 0 {
				t.Skip("running as root: permission bits are not enforced")
			}
			s, err := Open(t.Context(), tc.cfg)
			if err == nil {
				s.Close(context.Background())
				t.Fatal("Open succeeded, want error")
			}
			if !errors.Is(err, tc.wantIs) {
				t.Errorf("Open error = %v, want errors.Is %v", err, tc.wantIs)
			}
		})
	}
}

func TestDevices(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	mustPutDevice(t, s, ieeeB, "kitchen/light")
	tests := []struct {
		name   string
		put    Device
		wantIs error
		want   *Device // read back after a successful put
	}{
		{
			name: "insert with data and explicit created_at",
			put: Device{IEEE: ieeeA, NWK: 0x1a2b, FriendlyName: "hall/sensor", Model: "SNZB-02", Vendor: "SONOFF",
				Data: json.RawMessage(`{"endpoints":[1]}`), CreatedAt: created},
			want: &Device{IEEE: ieeeA, NWK: 0x1a2b, FriendlyName: "hall/sensor", Model: "SNZB-02", Vendor: "SONOFF",
				Data: json.RawMessage(`{"endpoints":[1]}`), CreatedAt: created, UpdatedAt: testNow},
		},
		{
			name: "upsert keeps created_at, replaces the rest",
			put:  Device{IEEE: ieeeA, NWK: 0xffff, FriendlyName: "hall/temp"},
			want: &Device{IEEE: ieeeA, NWK: 0xffff, FriendlyName: "hall/temp", CreatedAt: created, UpdatedAt: testNow},
		},
		{
			name:   "rename to an existing name",
			put:    Device{IEEE: ieeeA, FriendlyName: "kitchen/light"},
			wantIs: ErrDuplicateName,
		},
		{
			name:   "new device with an existing name",
			put:    Device{IEEE: ieeeC, FriendlyName: "kitchen/light"},
			wantIs: ErrDuplicateName,
		},
		{
			name: "upper-case address is normalised",
			put:  Device{IEEE: "0XA4C1380000000001", FriendlyName: "porch"},
			want: &Device{IEEE: ieeeC, FriendlyName: "porch", CreatedAt: testNow, UpdatedAt: testNow},
		},
		{name: "malformed address", put: Device{IEEE: "0x1234", FriendlyName: "x"}, wantIs: ErrInvalid},
		{name: "non-hex address", put: Device{IEEE: "0x00124b00123456zz", FriendlyName: "x"}, wantIs: ErrInvalid},
		{name: "empty name", put: Device{IEEE: ieeeA}, wantIs: ErrInvalid},
		{name: "invalid data JSON", put: Device{IEEE: ieeeA, FriendlyName: "x", Data: json.RawMessage(`{`)}, wantIs: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.PutDevice(ctx, tc.put)
			if tc.wantIs != nil {
				if !errors.Is(err, tc.wantIs) {
					t.Fatalf("PutDevice error = %v, want %v", err, tc.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutDevice: %v", err)
			}
			got, err := s.Device(ctx, tc.want.IEEE)
			if err != nil {
				t.Fatalf("Device: %v", err)
			}
			assertDevice(t, got, *tc.want)
		})
	}

	// A failed rename left the old name in place.
	if d, err := s.Device(ctx, ieeeA); err != nil || d.FriendlyName != "hall/temp" {
		t.Errorf("after failed rename: %+v, %v; want name hall/temp", d, err)
	}
	all, err := s.Devices(ctx)
	if err != nil {
		t.Fatalf("Devices: %v", err)
	}
	var names []string
	for _, d := range all {
		names = append(names, d.FriendlyName)
	}
	if fmt.Sprint(names) != "[hall/temp kitchen/light porch]" {
		t.Errorf("Devices names = %v, want ordered [hall/temp kitchen/light porch]", names)
	}

	lookups := []struct {
		name   string
		ieee   string
		wantIs error
	}{
		{"unknown device", "0x0000000000000001", ErrNotFound},
		{"malformed address", "kitchen", ErrInvalid},
	}
	for _, tc := range lookups {
		t.Run("Device/"+tc.name, func(t *testing.T) {
			if _, err := s.Device(ctx, tc.ieee); !errors.Is(err, tc.wantIs) {
				t.Errorf("Device(%q) error = %v, want %v", tc.ieee, err, tc.wantIs)
			}
		})
		t.Run("DeleteDevice/"+tc.name, func(t *testing.T) {
			if err := s.DeleteDevice(ctx, tc.ieee); !errors.Is(err, tc.wantIs) {
				t.Errorf("DeleteDevice(%q) error = %v, want %v", tc.ieee, err, tc.wantIs)
			}
		})
	}

	if err := s.DeleteDevice(ctx, ieeeB); err != nil {
		t.Fatalf("DeleteDevice: %v", err)
	}
	if _, err := s.Device(ctx, ieeeB); !errors.Is(err, ErrNotFound) {
		t.Errorf("Device after delete: %v, want ErrNotFound", err)
	}
	// The name is free again.
	mustPutDevice(t, s, "0x0000000000000002", "kitchen/light")
}

func assertDevice(t *testing.T, got, want Device) {
	t.Helper()
	if got.IEEE != want.IEEE || got.NWK != want.NWK || got.FriendlyName != want.FriendlyName ||
		got.Model != want.Model || got.Vendor != want.Vendor || string(got.Data) != string(want.Data) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("device = %+v\nwant     %+v", got, want)
	}
}

func TestState(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "lamp")
	t1 := testNow.Add(-time.Hour)
	tests := []struct {
		name   string
		ieee   string
		state  string
		at     time.Time
		wantIs error
	}{
		{"first state", ieeeA, `{"state":"ON","brightness":254}`, t1, nil},
		{"replaced", ieeeA, `{"state":"OFF"}`, testNow, nil},
		{"older timestamp still replaces", ieeeA, `{"state":"ON"}`, t1, nil},
		{"unknown device", ieeeB, `{"state":"ON"}`, testNow, ErrNotFound},
		{"invalid JSON", ieeeA, `{"state":`, testNow, ErrInvalid},
		{"empty state", ieeeA, ``, testNow, ErrInvalid},
		{"malformed address", "lamp", `{}`, testNow, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.PutState(ctx, tc.ieee, json.RawMessage(tc.state), tc.at)
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("PutState error = %v, want %v", err, tc.wantIs)
			}
			if tc.wantIs != nil {
				return
			}
			states, err := s.States(ctx)
			if err != nil {
				t.Fatalf("States: %v", err)
			}
			got, ok := states[tc.ieee]
			if !ok || string(got.State) != tc.state || !got.UpdatedAt.Equal(tc.at) {
				t.Errorf("States[%s] = %s at %v (present %v), want %s at %v", tc.ieee, got.State, got.UpdatedAt, ok, tc.state, tc.at)
			}
			if len(states) != 1 {
				t.Errorf("States has %d entries, want 1", len(states))
			}
		})
	}
}

func TestHistory(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "sensor")
	mustPutDevice(t, s, ieeeB, "plug")
	at := func(min int) time.Time { return testNow.Add(time.Duration(min) * time.Minute) }
	if err := s.AppendHistory(ctx,
		HistoryPoint{IEEE: ieeeA, Property: "temperature", At: at(0), Value: 21.5},
		HistoryPoint{IEEE: ieeeA, Property: "temperature", At: at(2), Value: float32(22)},
		HistoryPoint{IEEE: ieeeA, Property: "humidity", At: at(1), Value: 40},
		HistoryPoint{IEEE: ieeeA, Property: "occupancy", At: at(3), Value: true},
		HistoryPoint{IEEE: ieeeA, Property: "state", At: at(4), Value: "ON"},
		HistoryPoint{IEEE: ieeeB, Property: "temperature", At: at(1), Value: uint8(5)},
	); err != nil {
		t.Fatalf("AppendHistory: %v", err)
	}
	tests := []struct {
		name     string
		ieee     string
		property string
		from, to time.Time
		limit    int
		want     string // property=value@minute, in order
	}{
		{"one property", ieeeA, "temperature", time.Time{}, time.Time{}, 0, "temperature=21.5@0 temperature=22@2"},
		{"all properties ordered by time", ieeeA, "", time.Time{}, time.Time{}, 0,
			"temperature=21.5@0 humidity=40@1 temperature=22@2 occupancy=1@3 state=ON@4"},
		{"from inclusive, to exclusive", ieeeA, "", at(1), at(3), 0, "humidity=40@1 temperature=22@2"},
		{"limit", ieeeA, "", time.Time{}, time.Time{}, 2, "temperature=21.5@0 humidity=40@1"},
		{"other device", ieeeB, "", time.Time{}, time.Time{}, 0, "temperature=5@1"},
		{"no match", ieeeA, "pressure", time.Time{}, time.Time{}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := s.History(ctx, tc.ieee, tc.property, tc.from, tc.to, tc.limit)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			if got := formatPoints(pts); got != tc.want {
				t.Errorf("History = %q, want %q", got, tc.want)
			}
		})
	}

	bad := []struct {
		name   string
		points []HistoryPoint
		wantIs error
	}{
		{"unknown device", []HistoryPoint{{IEEE: ieeeC, Property: "x", Value: 1}}, ErrNotFound},
		{"one unknown device fails the whole call", []HistoryPoint{
			{IEEE: ieeeA, Property: "pressure", Value: 1000},
			{IEEE: ieeeC, Property: "pressure", Value: 1000},
		}, ErrNotFound},
		{"empty property", []HistoryPoint{{IEEE: ieeeA, Value: 1}}, ErrInvalid},
		{"unsupported type", []HistoryPoint{{IEEE: ieeeA, Property: "x", Value: []int{1}}}, ErrInvalid},
		{"NaN", []HistoryPoint{{IEEE: ieeeA, Property: "x", Value: nan()}}, ErrInvalid},
		{"nil value", []HistoryPoint{{IEEE: ieeeA, Property: "x"}}, ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.AppendHistory(ctx, tc.points...); !errors.Is(err, tc.wantIs) {
				t.Errorf("AppendHistory error = %v, want %v", err, tc.wantIs)
			}
		})
	}
	if pts, err := s.History(ctx, ieeeA, "pressure", time.Time{}, time.Time{}, 0); err != nil || len(pts) != 0 {
		t.Errorf("after failed append: %v, %v; want no pressure points", formatPoints(pts), err)
	}
	if err := s.AppendHistory(ctx); err != nil {
		t.Errorf("AppendHistory() with no points: %v", err)
	}

	n, err := s.PruneHistory(ctx, at(2))
	if err != nil || n != 3 {
		t.Fatalf("PruneHistory = %d, %v; want 3", n, err)
	}
	pts, err := s.History(ctx, ieeeA, "", time.Time{}, time.Time{}, 0)
	if err != nil || formatPoints(pts) != "temperature=22@2 occupancy=1@3 state=ON@4" {
		t.Errorf("after prune: %q, %v", formatPoints(pts), err)
	}
}

func TestHistoryLimitAndChunkedPrune(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "sensor")
	total := MaxHistoryLimit + pruneChunk + 1
	// One generated INSERT: per-row AppendHistory is slow under -race.
	err := s.Exec(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
INSERT INTO history (ieee, property, ts, value) SELECT ?, 'v', ? + i, CAST(i AS REAL) FROM n`,
			total, ieeeA, toMS(testNow))
		return err
	})
	if err != nil {
		t.Fatalf("insert %d points: %v", total, err)
	}
	for _, limit := range []int{0, MaxHistoryLimit + 1} {
		got, err := s.History(ctx, ieeeA, "v", time.Time{}, time.Time{}, limit)
		if err != nil || len(got) != MaxHistoryLimit {
			t.Errorf("History(limit %d) = %d points, %v; want the cap %d", limit, len(got), err, MaxHistoryLimit)
		}
	}
	before := s.Stats().Ops
	n, err := s.PruneHistory(ctx, testNow.Add(time.Hour))
	if err != nil || n != int64(total) {
		t.Fatalf("PruneHistory = %d, %v; want %d", n, err, total)
	}
	if ops := s.Stats().Ops - before; ops < int64(total/pruneChunk) {
		t.Errorf("prune used %d write ops, want at least %d chunks", ops, total/pruneChunk)
	}
}

func nan() float64 {
	z := 0.0
	return z / z
}

func formatPoints(pts []HistoryPoint) string {
	var out string
	for i, p := range pts {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s=%v@%d", p.Property, p.Value, int(p.At.Sub(testNow)/time.Minute))
	}
	return out
}

func TestCascadeDelete(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "a")
	mustPutDevice(t, s, ieeeB, "b")
	for _, ieee := range []string{ieeeA, ieeeB} {
		if err := s.PutState(ctx, ieee, json.RawMessage(`{"state":"ON"}`), testNow); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendHistory(ctx, HistoryPoint{IEEE: ieee, Property: "state", Value: "ON"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendEvent(ctx, Event{Kind: "device_joined", Device: ieeeA}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDevice(ctx, ieeeA); err != nil {
		t.Fatalf("DeleteDevice: %v", err)
	}
	states, err := s.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := states[ieeeA]; ok || len(states) != 1 {
		t.Errorf("States after delete = %v; want only %s", states, ieeeB)
	}
	var rows int
	if err := s.readers.QueryRow(`SELECT count(*) FROM history WHERE ieee = ?`, ieeeA).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("history rows of deleted device = %d, %v; want 0", rows, err)
	}
	if pts, err := s.History(ctx, ieeeB, "", time.Time{}, time.Time{}, 0); err != nil || len(pts) != 1 {
		t.Errorf("other device's history = %d points, %v; want 1", len(pts), err)
	}
	if evs, err := s.Events(ctx, 0, 0); err != nil || len(evs) != 1 {
		t.Errorf("events after device delete = %d, %v; want the log kept", len(evs), err)
	}
}

func TestEvents(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	for i := range 5 {
		e := Event{Kind: "tick", Device: ieeeA, At: testNow.Add(time.Duration(i) * time.Second), Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
		if err := s.AppendEvent(ctx, e); err != nil {
			t.Fatalf("AppendEvent: %v", err)
		}
	}
	if err := s.AppendEvent(ctx, Event{Kind: "no_data"}); err != nil {
		t.Fatalf("AppendEvent without data: %v", err)
	}
	tests := []struct {
		name    string
		since   int64
		limit   int
		wantIDs string
	}{
		{"all", 0, 0, "[1 2 3 4 5 6]"},
		{"since", 4, 0, "[5 6]"},
		{"limit", 1, 2, "[2 3]"},
		{"past the end", 6, 0, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := s.Events(ctx, tc.since, tc.limit)
			if err != nil {
				t.Fatalf("Events: %v", err)
			}
			ids := []int64{}
			for _, e := range evs {
				ids = append(ids, e.ID)
			}
			if fmt.Sprint(ids) != tc.wantIDs {
				t.Errorf("Events ids = %v, want %s", ids, tc.wantIDs)
			}
		})
	}
	evs, _ := s.Events(ctx, 1, 1)
	if len(evs) != 1 || evs[0].Kind != "tick" || evs[0].Device != ieeeA || string(evs[0].Data) != `{"i":1}` ||
		!evs[0].At.Equal(testNow.Add(time.Second)) {
		t.Errorf("event 2 = %+v", evs)
	}
	if evs, _ := s.Events(ctx, 5, 1); len(evs) != 1 || evs[0].Data != nil || !evs[0].At.Equal(testNow) {
		t.Errorf("event 6 = %+v; want nil data, store clock", evs)
	}
	for _, tc := range []struct {
		name string
		e    Event
	}{
		{"empty kind", Event{}},
		{"invalid data", Event{Kind: "x", Data: json.RawMessage(`nope`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.AppendEvent(ctx, tc.e); !errors.Is(err, ErrInvalid) {
				t.Errorf("AppendEvent error = %v, want ErrInvalid", err)
			}
		})
	}

	n, err := s.PruneEvents(ctx, testNow.Add(time.Hour))
	if err != nil || n != 6 {
		t.Fatalf("PruneEvents = %d, %v; want 6", n, err)
	}
	// Ids are never reused, even after the log was emptied.
	if err := s.AppendEvent(ctx, Event{Kind: "after_prune"}); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Events(ctx, 0, 0); err != nil || len(evs) != 1 || evs[0].ID != 7 {
		t.Errorf("after prune: %+v, %v; want one event with id 7", evs, err)
	}
}

func TestTokens(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	used := testNow.Add(time.Minute)
	steps := []struct {
		name   string
		do     func() error
		wantIs error
		want   string // Tokens() formatted after the step
	}{
		{"put", func() error { return s.PutToken(ctx, Token{Name: "cli", Hash: "h1"}) }, nil, "cli:h1:0:-"},
		{"put second", func() error {
			return s.PutToken(ctx, Token{Name: "ha", Hash: "h2", CreatedAt: testNow.Add(-time.Minute)})
		}, nil, "cli:h1:0:- ha:h2:-1:-"},
		{"touch", func() error { return s.TouchToken(ctx, "cli", used) }, nil, "cli:h1:0:1 ha:h2:-1:-"},
		{"touch unknown", func() error { return s.TouchToken(ctx, "nobody", used) }, ErrNotFound, "cli:h1:0:1 ha:h2:-1:-"},
		{"replace resets last use", func() error { return s.PutToken(ctx, Token{Name: "cli", Hash: "h3"}) }, nil, "cli:h3:0:- ha:h2:-1:-"},
		{"delete", func() error { return s.DeleteToken(ctx, "ha") }, nil, "cli:h3:0:-"},
		{"delete unknown", func() error { return s.DeleteToken(ctx, "ha") }, ErrNotFound, "cli:h3:0:-"},
		{"empty name", func() error { return s.PutToken(ctx, Token{Hash: "h"}) }, ErrInvalid, "cli:h3:0:-"},
		{"empty hash", func() error { return s.PutToken(ctx, Token{Name: "x"}) }, ErrInvalid, "cli:h3:0:-"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); !errors.Is(err, st.wantIs) {
				t.Fatalf("error = %v, want %v", err, st.wantIs)
			}
			toks, err := s.Tokens(ctx)
			if err != nil {
				t.Fatalf("Tokens: %v", err)
			}
			var got string
			for i, tk := range toks {
				if i > 0 {
					got += " "
				}
				last := "-"
				if !tk.LastUsedAt.IsZero() {
					last = fmt.Sprint(int(tk.LastUsedAt.Sub(testNow) / time.Minute))
				}
				got += fmt.Sprintf("%s:%s:%d:%s", tk.Name, tk.Hash, int(tk.CreatedAt.Sub(testNow)/time.Minute), last)
			}
			if got != st.want {
				t.Errorf("Tokens = %q, want %q", got, st.want)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	tests := []struct {
		name   string
		set    *[2]string // key, value to set first (nil: none)
		get    string
		want   string
		wantIs error
	}{
		{"missing", nil, "network.channel", "", ErrNotFound},
		{"set", &[2]string{"network.channel", "15"}, "network.channel", "15", nil},
		{"overwrite", &[2]string{"network.channel", "20"}, "network.channel", "20", nil},
		{"empty value is a value", &[2]string{"motd", ""}, "motd", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set != nil {
				if err := s.SetSetting(ctx, tc.set[0], tc.set[1]); err != nil {
					t.Fatalf("SetSetting: %v", err)
				}
			}
			got, err := s.Setting(ctx, tc.get)
			if !errors.Is(err, tc.wantIs) || got != tc.want {
				t.Errorf("Setting(%q) = %q, %v; want %q, %v", tc.get, got, err, tc.want, tc.wantIs)
			}
		})
	}
	if err := s.SetSetting(ctx, "", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetSetting empty key: %v, want ErrInvalid", err)
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "zhub.db")})
	if err != nil {
		t.Fatal(err)
	}
	mustPutDevice(t, s, ieeeA, "a")
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	ctx := t.Context()
	calls := []struct {
		name string
		call func() error
	}{
		{"Exec", func() error { return s.Exec(ctx, func(*sql.Tx) error { return nil }) }},
		{"PutDevice", func() error { return s.PutDevice(ctx, Device{IEEE: ieeeB, FriendlyName: "b"}) }},
		{"Device", func() error { _, err := s.Device(ctx, ieeeA); return err }},
		{"Devices", func() error { _, err := s.Devices(ctx); return err }},
		{"DeleteDevice", func() error { return s.DeleteDevice(ctx, ieeeA) }},
		{"PutState", func() error { return s.PutState(ctx, ieeeA, json.RawMessage(`{}`), testNow) }},
		{"States", func() error { _, err := s.States(ctx); return err }},
		{"AppendHistory", func() error { return s.AppendHistory(ctx, HistoryPoint{IEEE: ieeeA, Property: "x", Value: 1}) }},
		{"History", func() error { _, err := s.History(ctx, ieeeA, "", time.Time{}, time.Time{}, 0); return err }},
		{"PruneHistory", func() error { _, err := s.PruneHistory(ctx, testNow); return err }},
		{"AppendEvent", func() error { return s.AppendEvent(ctx, Event{Kind: "x"}) }},
		{"Events", func() error { _, err := s.Events(ctx, 0, 0); return err }},
		{"PruneEvents", func() error { _, err := s.PruneEvents(ctx, testNow); return err }},
		{"PutToken", func() error { return s.PutToken(ctx, Token{Name: "a", Hash: "h"}) }},
		{"Tokens", func() error { _, err := s.Tokens(ctx); return err }},
		{"DeleteToken", func() error { return s.DeleteToken(ctx, "a") }},
		{"TouchToken", func() error { return s.TouchToken(ctx, "a", testNow) }},
		{"SetSetting", func() error { return s.SetSetting(ctx, "k", "v") }},
		{"Setting", func() error { _, err := s.Setting(ctx, "k"); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", tc.name, err)
			}
		})
	}
}

// blockWriter queues an op that holds the writer until the returned release
// is called, and returns once the writer is inside it.
func blockWriter(t *testing.T, s *Store) (release func(), done <-chan error) {
	t.Helper()
	entered := make(chan struct{})
	gate := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(entered)
			select {
			case <-gate:
			case <-ctx.Done(): // Close gave up on the drain
			}
			return nil
		})
	}()
	<-entered
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }, errc
}

// waitQueued polls until n ops wait in the queue. Polling is the only way:
// a channel send that blocks on nothing else has no event to wait on.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Queued != n {
		if time.Now().After(deadline) {
			t.Fatalf("queue length %d, want %d", s.Stats().Queued, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBatchSavepointIsolatesFailingOp(t *testing.T) {
	s := openTest(t, Config{})
	release, blocked := blockWriter(t, s)
	errBoom := errors.New("boom")
	type result struct {
		i   int
		err error
	}
	results := make(chan result, 6)
	ops := []func(tx *sql.Tx) error{
		func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO settings VALUES ('k0', 'v')`); return err },
		func(tx *sql.Tx) error {
			// Writes, then fails: its insert must be undone.
			if _, err := tx.Exec(`INSERT INTO settings VALUES ('k1', 'v')`); err != nil {
				return err
			}
			return errBoom
		},
		func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO settings VALUES ('k2', 'v')`); return err },
		func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO no_such_table VALUES (1)`); return err },
		func(*sql.Tx) error { panic("op bug") },
		func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO settings VALUES ('k5', 'v')`); return err },
	}
	for i, fn := range ops {
		go func() { results <- result{i, s.Exec(t.Context(), fn)} }()
		waitQueued(t, s, i+1) // queue them in order
	}
	batchesBefore := s.Stats().Batches
	release()
	if err := <-blocked; err != nil {
		t.Fatalf("blocking op: %v", err)
	}
	errs := make([]error, len(ops))
	for range ops {
		r := <-results
		errs[r.i] = r.err
	}
	for i, err := range errs {
		switch i {
		case 1:
			if !errors.Is(err, errBoom) {
				t.Errorf("op %d: %v, want errBoom", i, err)
			}
		case 3, 4:
			if err == nil {
				t.Errorf("op %d succeeded, want an error", i)
			}
		default:
			if err != nil {
				t.Errorf("op %d: %v", i, err)
			}
		}
	}
	// One batch for the blocker, one for the six queued ops.
	if got := s.Stats().Batches - batchesBefore; got != 2 {
		t.Errorf("blocker and queued ops committed in %d batches, want 2", got)
	}
	for key, want := range map[string]bool{"k0": true, "k1": false, "k2": true, "k5": true} {
		_, err := s.Setting(t.Context(), key)
		if got := err == nil; got != want {
			t.Errorf("setting %s present = %v (%v), want %v", key, got, err, want)
		}
	}
	st := s.Stats()
	if st.Errors != 3 {
		t.Errorf("Stats.Errors = %d, want 3", st.Errors)
	}
}

func TestBatchAbortFailsWholeBatchAndWriterRecovers(t *testing.T) {
	s := openTest(t, Config{})
	release, blocked := blockWriter(t, s)
	results := make(chan error, 2)
	go func() {
		results <- s.SetSetting(t.Context(), "before", "v")
	}()
	waitQueued(t, s, 1)
	go func() {
		// Ends the shared transaction behind the writer's back.
		results <- s.Exec(t.Context(), func(tx *sql.Tx) error { _, err := tx.Exec("ROLLBACK"); return err })
	}()
	waitQueued(t, s, 2)
	release()
	<-blocked
	for range 2 {
		if err := <-results; !errors.Is(err, ErrBatchAborted) {
			t.Errorf("op in aborted batch: %v, want ErrBatchAborted", err)
		}
	}
	if _, err := s.Setting(t.Context(), "before"); !errors.Is(err, ErrNotFound) {
		t.Errorf("op of the aborted batch is visible: %v", err)
	}
	if err := s.SetSetting(t.Context(), "after", "v"); err != nil {
		t.Fatalf("write after an aborted batch: %v", err)
	}
}

func TestCancelledWaitingOpIsSkipped(t *testing.T) {
	s := openTest(t, Config{})
	release, blocked := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.SetSetting(ctx, "cancelled", "v") }()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("SetSetting with cancelled ctx: %v, want context.Canceled", err)
	}
	release()
	<-blocked
	// A write queued after it commits, so the writer has seen the skipped op.
	if err := s.SetSetting(t.Context(), "next", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Setting(t.Context(), "cancelled"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancelled op was committed: %v", err)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhub.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	release, blocked := blockWriter(t, s)
	const n = 20
	errc := make(chan error, n)
	for i := range n {
		go func() { errc <- s.SetSetting(t.Context(), fmt.Sprint("k", i), "v") }()
	}
	waitQueued(t, s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close(t.Context()) }()
	// Close has closed stopping before it waits; new writes are refused.
	<-s.stopping
	if err := s.SetSetting(t.Context(), "late", "v"); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close began: %v, want ErrClosed", err)
	}
	release()
	<-blocked
	for range n {
		if err := <-errc; err != nil {
			t.Errorf("queued write during Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := openTest(t, Config{Path: path})
	var count int
	if err := s2.readers.QueryRow(`SELECT count(*) FROM settings`).Scan(&count); err != nil || count != n {
		t.Errorf("settings after reopen = %d, %v; want %d", count, err, n)
	}
}

func TestCloseDeadlineAbortsDrain(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "zhub.db")})
	if err != nil {
		t.Fatal(err)
	}
	_, blocked := blockWriter(t, s) // never released: only Close's abort frees it
	errc := make(chan error, 1)
	go func() { errc <- s.SetSetting(t.Context(), "queued", "v") }()
	waitQueued(t, s, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with expired ctx: %v, want context.Canceled", err)
	}
	if err := <-blocked; !errors.Is(err, ErrClosed) {
		t.Errorf("op interrupted by Close: %v, want ErrClosed", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("op queued behind it: %v, want ErrClosed", err)
	}
}

func TestReadInProgressDoesNotBlockWrites(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	if err := s.SetSetting(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	// An open read transaction holds a WAL snapshot (and a reader lock).
	rtx, err := s.readers.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rtx.Rollback()
	var v string
	if err := rtx.QueryRow(`SELECT value FROM settings WHERE key = 'k'`).Scan(&v); err != nil || v != "old" {
		t.Fatalf("read: %q, %v", v, err)
	}
	// The write must commit while the read is still open. A deadline turns
	// a writer blocked by the reader into a failure instead of a hang.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.SetSetting(wctx, "k", "new"); err != nil {
		t.Fatalf("write during read: %v", err)
	}
	mustPutDevice(t, s, ieeeA, "a")
	if err := rtx.QueryRow(`SELECT value FROM settings WHERE key = 'k'`).Scan(&v); err != nil || v != "old" {
		t.Errorf("reader's snapshot sees %q, %v; want old (isolation)", v, err)
	}
	if got, err := s.Setting(ctx, "k"); err != nil || got != "new" {
		t.Errorf("new read = %q, %v; want new", got, err)
	}
}

func TestConcurrentWritesAreBatched(t *testing.T) {
	s := openTest(t, Config{MaxBatch: 64})
	mustPutDevice(t, s, ieeeA, "a")
	const writers, each = 16, 50
	var wg sync.WaitGroup
	errc := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errc <- s.AppendHistory(t.Context(), HistoryPoint{IEEE: ieeeA, Property: fmt.Sprint("p", w), Value: i})
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.readers.QueryRow(`SELECT count(*) FROM history`).Scan(&n); err != nil || n != writers*each {
		t.Errorf("history rows = %d, %v; want %d", n, err, writers*each)
	}
	if st := s.Stats(); st.Ops != writers*each+1 || st.Errors != 0 || st.Batches > st.Ops {
		t.Errorf("Stats = %+v", st)
	}
}

func TestCorruptFile(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string)
	}{
		{"garbage file", func(t *testing.T, path string) {
			garbage := make([]byte, 64<<10)
			for i := range garbage {
				garbage[i] = byte(i*7 + 3)
			}
			if err := os.WriteFile(path, garbage, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged page in a valid file", func(t *testing.T, path string) {
			buildDB(t, path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			junk := make([]byte, 4096)
			for i := range junk {
				junk[i] = 0xA5
			}
			// Overwrite every page but the header page.
			for off := int64(4096); off < fi.Size(); off += 4096 {
				if _, err := f.WriteAt(junk, off); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zhub.db")
			tc.corrupt(t, path)
			s, err := Open(t.Context(), Config{Path: path})
			if err == nil {
				s.Close(context.Background())
				t.Fatal("Open of a corrupt file succeeded")
			}
			ce, ok := errors.AsType[*CorruptError](err)
			if !ok || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open error = %v (%T), want *CorruptError", err, err)
			}
			if ce.Path != path {
				t.Errorf("CorruptError.Path = %q, want %q", ce.Path, path)
			}
			t.Logf("error text: %v", err)
		})
	}
}

// buildDB creates a closed, valid database with a few pages of rows.
func buildDB(t *testing.T, path string) {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	mustPutDevice(t, s, ieeeA, "a")
	pts := make([]HistoryPoint, 2000)
	for i := range pts {
		pts[i] = HistoryPoint{IEEE: ieeeA, Property: "temperature", At: testNow.Add(time.Duration(i) * time.Second), Value: float64(i)}
	}
	if err := s.AppendHistory(t.Context(), pts...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func FuzzNormalizeIEEE(f *testing.F) {
	for _, seed := range []string{ieeeA, "0X00124B0012345678", "0x1234", "", "0x00124b00123456zz", "00124b0012345678xx"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := normalizeIEEE(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		again, err := normalizeIEEE(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
		if len(got) != 18 || got[:2] != "0x" {
			t.Fatalf("bad canonical form %q", got)
		}
		for _, c := range got[2:] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				t.Fatalf("bad canonical form %q", got)
			}
		}
	})
}

func TestDeviceContext(t *testing.T) {
	s := openTest(t, Config{})
	ctx := t.Context()
	mustPutDevice(t, s, ieeeA, "lamp")
	mustPutDevice(t, s, ieeeB, "door")

	if cs, err := s.DeviceContexts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("empty store: %+v, %v", cs, err)
	}
	for _, tc := range []struct {
		name string
		c    DeviceContext
		want error
	}{
		{"unknown device", DeviceContext{IEEE: ieeeC, Room: "Hall"}, ErrNotFound},
		{"malformed address", DeviceContext{IEEE: "lamp"}, ErrInvalid},
		{"rules not an object", DeviceContext{IEEE: ieeeA, Rules: json.RawMessage(`["read_only"]`)}, ErrInvalid},
		{"rules not JSON", DeviceContext{IEEE: ieeeA, Rules: json.RawMessage(`{`)}, ErrInvalid},
		{"rules null", DeviceContext{IEEE: ieeeA, Rules: json.RawMessage(`null`)}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.PutDeviceContext(ctx, tc.c); !errors.Is(err, tc.want) {
				t.Errorf("PutDeviceContext = %v, want %v", err, tc.want)
			}
		})
	}

	lamp := DeviceContext{IEEE: "0x00124B0012345678", Room: "Living room", Aliases: []string{"the lamp by the sofa", "sofa lamp"},
		Notes: "warm white bulb", Rules: json.RawMessage(`{"access":"full"}`)}
	if err := s.PutDeviceContext(ctx, lamp); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDeviceContext(ctx, DeviceContext{IEEE: ieeeB, Room: "Hall"}); err != nil {
		t.Fatal(err)
	}
	cs, err := s.DeviceContexts(ctx)
	if err != nil || len(cs) != 2 {
		t.Fatalf("DeviceContexts = %+v, %v", cs, err)
	}
	got := cs[0]
	if got.IEEE != ieeeA || got.Room != "Living room" || fmt.Sprint(got.Aliases) != "[the lamp by the sofa sofa lamp]" ||
		got.Notes != "warm white bulb" || string(got.Rules) != `{"access":"full"}` || !got.UpdatedAt.Equal(testNow) {
		t.Errorf("lamp context = %+v", got)
	}
	if door := cs[1]; door.IEEE != ieeeB || door.Aliases == nil || len(door.Aliases) != 0 || string(door.Rules) != "{}" {
		t.Errorf("door context (defaults) = %+v", door)
	}

	// Replace: the new values win entirely.
	if err := s.PutDeviceContext(ctx, DeviceContext{IEEE: ieeeA, Room: "Kitchen"}); err != nil {
		t.Fatal(err)
	}
	cs, _ = s.DeviceContexts(ctx)
	if cs[0].Room != "Kitchen" || len(cs[0].Aliases) != 0 || cs[0].Notes != "" {
		t.Errorf("replaced context = %+v", cs[0])
	}

	// A rename keeps the context (same IEEE); deleting the device drops it.
	if err := s.PutDevice(ctx, Device{IEEE: ieeeA, FriendlyName: "kitchen_lamp"}); err != nil {
		t.Fatal(err)
	}
	if cs, _ = s.DeviceContexts(ctx); len(cs) != 2 || cs[0].Room != "Kitchen" {
		t.Errorf("context after rename = %+v", cs)
	}
	if err := s.DeleteDevice(ctx, ieeeA); err != nil {
		t.Fatal(err)
	}
	if cs, _ = s.DeviceContexts(ctx); len(cs) != 1 || cs[0].IEEE != ieeeB {
		t.Errorf("contexts after device delete = %+v", cs)
	}

	if err := s.DeleteDeviceContext(ctx, ieeeB); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDeviceContext(ctx, ieeeB); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	if cs, _ = s.DeviceContexts(ctx); len(cs) != 0 {
		t.Errorf("contexts after delete = %+v", cs)
	}
}
