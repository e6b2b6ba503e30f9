package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// migrationSeeds[k-1] inserts rows that are valid at schema version k
// (after migrations[:k]) and checks, through the API of the newest schema,
// that they survived the upgrade. Every migration needs one: adding a step
// without a seed fails TestMigrationsHaveSeeds.
var migrationSeeds = []struct {
	sql   string
	check func(t *testing.T, s *Store)
}{
	{ // v1: initial schema
		sql: `
INSERT INTO devices (ieee, nwk, friendly_name, model, vendor, data, created_at, updated_at)
VALUES ('0x00124b0012345678', 4660, 'v1/sensor', 'SNZB-02', 'SONOFF', '{"endpoints":[1]}', 1000, 2000);
INSERT INTO device_state (ieee, state, updated_at) VALUES ('0x00124b0012345678', '{"temperature":21.5}', 3000);
INSERT INTO history (ieee, property, ts, value) VALUES ('0x00124b0012345678', 'temperature', 3000, 21.5);
INSERT INTO history (ieee, property, ts, value) VALUES ('0x00124b0012345678', 'state', 3001, 'ON');
INSERT INTO events (ts, kind, device, data) VALUES (3000, 'device_joined', '0x00124b0012345678', '{"v":1}');
INSERT INTO tokens (name, hash, created_at, last_used_at) VALUES ('cli', 'h1', 1000, NULL);
INSERT INTO settings (key, value) VALUES ('schema_seed', 'v1');
`,
		check: func(t *testing.T, s *Store) {
			ctx := t.Context()
			d, err := s.Device(ctx, "0x00124b0012345678")
			if err != nil {
				t.Fatalf("v1 device: %v", err)
			}
			assertDevice(t, d, Device{IEEE: "0x00124b0012345678", NWK: 4660, FriendlyName: "v1/sensor", Model: "SNZB-02",
				Vendor: "SONOFF", Data: json.RawMessage(`{"endpoints":[1]}`), CreatedAt: fromMS(1000), UpdatedAt: fromMS(2000)})
			st, err := s.States(ctx)
			if err != nil || string(st["0x00124b0012345678"].State) != `{"temperature":21.5}` {
				t.Errorf("v1 state: %v, %v", st, err)
			}
			pts, err := s.History(ctx, "0x00124b0012345678", "", time.Time{}, time.Time{}, 0)
			if err != nil || len(pts) != 2 || pts[0].Value != 21.5 || pts[1].Value != "ON" {
				t.Errorf("v1 history: %+v, %v", pts, err)
			}
			evs, err := s.Events(ctx, 0, 0)
			if err != nil || len(evs) == 0 || evs[0].Kind != "device_joined" || string(evs[0].Data) != `{"v":1}` {
				t.Errorf("v1 events: %+v, %v", evs, err)
			}
			toks, err := s.Tokens(ctx)
			if err != nil || len(toks) != 1 || toks[0].Hash != "h1" || !toks[0].LastUsedAt.IsZero() {
				t.Errorf("v1 tokens: %+v, %v", toks, err)
			}
			if v, err := s.Setting(ctx, "schema_seed"); err != nil || v != "v1" {
				t.Errorf("v1 setting: %q, %v", v, err)
			}
		},
	},
	{ // v2: time indexes
		sql: `
INSERT INTO devices (ieee, friendly_name, created_at, updated_at) VALUES ('0x00158d0001d82999', 'v2/plug', 5000, 5000);
INSERT INTO history (ieee, property, ts, value) VALUES ('0x00158d0001d82999', 'power', 6000, 12.5);
INSERT INTO events (ts, kind) VALUES (6000, 'bridge_started');
`,
		check: func(t *testing.T, s *Store) {
			ctx := t.Context()
			if d, err := s.Device(ctx, "0x00158d0001d82999"); err != nil || d.FriendlyName != "v2/plug" || d.Data != nil {
				t.Errorf("v2 device: %+v, %v", d, err)
			}
			// The prune that the v2 index serves finds the seeded row.
			if n, err := s.PruneHistory(ctx, fromMS(6001)); err != nil || n < 1 {
				t.Errorf("v2 history prune: %d, %v", n, err)
			}
			if n, err := s.PruneEvents(ctx, fromMS(6001)); err != nil || n < 1 {
				t.Errorf("v2 events prune: %d, %v", n, err)
			}
		},
	},
	{ // v3: device context
		sql: `
INSERT INTO devices (ieee, friendly_name, created_at, updated_at) VALUES ('0x0017880100a1c0ff', 'v3/lamp', 7000, 7000);
INSERT INTO device_context (ieee, room, aliases, notes, rules, updated_at)
VALUES ('0x0017880100a1c0ff', 'Living room', '["the lamp by the sofa"]', 'warm white', '{"access":"read_only"}', 7001);
`,
		check: func(t *testing.T, s *Store) {
			cs, err := s.DeviceContexts(t.Context())
			if err != nil {
				t.Fatalf("v3 device contexts: %v", err)
			}
			var found bool
			for _, c := range cs {
				if c.IEEE != "0x0017880100a1c0ff" {
					continue
				}
				found = true
				if c.Room != "Living room" || len(c.Aliases) != 1 || c.Aliases[0] != "the lamp by the sofa" ||
					c.Notes != "warm white" || string(c.Rules) != `{"access":"read_only"}` || !c.UpdatedAt.Equal(fromMS(7001)) {
					t.Errorf("v3 device context: %+v", c)
				}
			}
			if !found {
				t.Errorf("v3 device context missing: %+v", cs)
			}
		},
	},
	{ // v4: chat conversations
		sql: `
INSERT INTO conversations (session, messages, updated_at) VALUES ('v4/chat', '[{"role":"user","text":"hi"}]', 8000);
`,
		check: func(t *testing.T, s *Store) {
			msgs, err := s.Conversation(t.Context(), "v4/chat")
			if err != nil || string(msgs) != `[{"role":"user","text":"hi"}]` {
				t.Errorf("v4 conversation: %s, %v", msgs, err)
			}
		},
	},
	{ // v5: zigbee groups
		sql: `
INSERT INTO devices (ieee, friendly_name, created_at, updated_at) VALUES ('0x00124b00a1c00007', 'v5/light', 9000, 9000);
INSERT INTO zigbee_groups (id, name, created_at) VALUES (5, 'v5/room', 9001);
INSERT INTO zigbee_group_members (group_id, ieee, endpoint) VALUES (5, '0x00124b00a1c00007', 1);
`,
		check: func(t *testing.T, s *Store) {
			gs, err := s.Groups(t.Context())
			if err != nil {
				t.Fatalf("v5 groups: %v", err)
			}
			for _, g := range gs {
				if g.ID == 5 {
					if g.Name != "v5/room" || !g.CreatedAt.Equal(fromMS(9001)) || len(g.Members) != 1 ||
						g.Members[0] != (GroupMember{IEEE: "0x00124b00a1c00007", Endpoint: 1}) {
						t.Errorf("v5 group: %+v", g)
					}
					return
				}
			}
			t.Errorf("v5 group missing: %+v", gs)
		},
	},
}

func TestMigrationsHaveSeeds(t *testing.T) {
	if len(migrationSeeds) != len(migrations) {
		t.Fatalf("%d migrations but %d seeds: add a seed for every new migration", len(migrations), len(migrationSeeds))
	}
	if len(migrations) < 2 {
		t.Fatalf("want at least two schema versions, have %d", len(migrations))
	}
}

// rawDB opens path with the writer's settings but without Open's checks and
// migrations.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, []string{"foreign_keys(1)", "journal_mode(WAL)"}, ""))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// buildAtVersion creates a database at schema version k holding the seeds
// of versions 1..k.
func buildAtVersion(t *testing.T, path string, k int) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	ctx := t.Context()
	discard := slog.New(slog.DiscardHandler)
	for v := 1; v <= k; v++ {
		if got, err := migrate(ctx, db, migrations[:v], "", discard); err != nil || got != v {
			t.Fatalf("migrate to v%d: %d, %v", v, got, err)
		}
		if _, err := db.Exec(migrationSeeds[v-1].sql); err != nil {
			t.Fatalf("seed v%d: %v", v, err)
		}
	}
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromEveryVersion(t *testing.T) {
	latest := len(migrations)
	for k := 0; k <= latest; k++ {
		t.Run("from v"+strconv.Itoa(k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zhub.db")
			if k == 0 {
				// An existing empty file is a valid empty database.
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				buildAtVersion(t, path, k)
			}
			s := openTest(t, Config{Path: path})
			if got := s.Stats().SchemaVersion; got != latest {
				t.Fatalf("schema version after Open = %d, want %d", got, latest)
			}
			for v := 1; v <= k; v++ {
				migrationSeeds[v-1].check(t, s)
			}
			// Writes valid at the newest schema work on the upgraded file.
			if err := s.PutDevice(t.Context(), Device{IEEE: "0xa4c1380000000001", FriendlyName: "new"}); err != nil {
				t.Errorf("write after upgrade: %v", err)
			}
			bak := path + ".v" + strconv.Itoa(k) + ".bak"
			if k > 0 && k < latest {
				if got := userVersion(t, bak); got != k {
					t.Errorf("pre-migration backup %s has version %d, want %d", bak, got, k)
				}
			} else if _, err := os.Stat(bak); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("unexpected backup %s (stat: %v)", bak, err)
			}
		})
	}
}

func TestOpenCreatesMissingFile(t *testing.T) {
	s := openTest(t, Config{Path: filepath.Join(t.TempDir(), "new", "zhub.db")})
	if got := s.Stats().SchemaVersion; got != len(migrations) {
		t.Errorf("schema version = %d, want %d", got, len(migrations))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhub.db")
	buildAtVersion(t, path, len(migrations))
	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA user_version = " + strconv.Itoa(len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(t.Context(), Config{Path: path})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open of a newer schema succeeded")
	}
	ve, ok := errors.AsType[*VersionError](err)
	if !ok || !errors.Is(err, ErrSchemaTooNew) || ve.File != len(migrations)+1 || ve.Binary != len(migrations) {
		t.Fatalf("Open error = %v (%T), want *VersionError file=%d binary=%d", err, err, len(migrations)+1, len(migrations))
	}
	if got := userVersion(t, path); got != len(migrations)+1 {
		t.Errorf("file version changed to %d", got)
	}
}

func TestFailedMigrationStepRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhub.db")
	buildAtVersion(t, path, 1)
	db := rawDB(t, path)
	defer db.Close()
	steps := append(migrations[:1:1],
		migration{name: "good", sql: `CREATE TABLE step2 (x INTEGER) STRICT;`},
		migration{name: "bad", sql: `CREATE TABLE step3 (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);`},
	)
	got, err := migrate(t.Context(), db, steps, "", slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("migrate with a failing step succeeded")
	}
	if got != 2 {
		t.Errorf("migrate returned version %d, want 2 (the last good step)", got)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != 2 {
		t.Errorf("user_version = %d, %v; want 2", v, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'step3'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table of the failed step exists (%d, %v)", n, err)
	}
}

func TestMigrationForeignKeyCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhub.db")
	buildAtVersion(t, path, 1)
	db := rawDB(t, path)
	defer db.Close()
	// A step that leaves a dangling reference must not commit.
	steps := append(migrations[:1:1], migration{name: "dangling", sql: `
PRAGMA defer_foreign_keys = ON;
INSERT INTO device_state (ieee, state, updated_at) VALUES ('0x0000000000000009', '{}', 1);`})
	if _, err := migrate(t.Context(), db, steps, "", slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("migration leaving a dangling foreign key succeeded")
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != 1 {
		t.Errorf("user_version = %d, %v; want 1", v, err)
	}
}
