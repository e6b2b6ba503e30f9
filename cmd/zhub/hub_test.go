package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/cmd/zhub/internal/config"
	"github.com/zhubhq/zhub/hub/store"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// eventLog is a slog handler that hands every record's "event" to a
// channel, so a test can wait for what the daemon reports.
type eventLog struct {
	mu     *sync.Mutex
	events chan string
	attrs  []slog.Attr
}

func (h eventLog) Enabled(context.Context, slog.Level) bool { return true }

func (h eventLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			select {
			case h.events <- a.Value.String():
			default:
			}
		}
		return true
	})
	return nil
}

func (h eventLog) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(h.attrs[:len(h.attrs):len(h.attrs)], as...)
	return h
}

func (h eventLog) WithGroup(string) slog.Handler { return h }

// runDaemon runs serve on cfg until stop is called; events receives the
// log events.
func runDaemon(t *testing.T, cfg config.Config) (events chan string, stop func()) {
	t.Helper()
	events = make(chan string, 10000)
	log := slog.New(eventLog{mu: &sync.Mutex{}, events: events})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, config.Source{}, log) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return events, stop
}

func waitEvent(t *testing.T, events chan string, want string, forbidden ...string) {
	t.Helper()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	for {
		select {
		case e := <-events:
			for _, f := range forbidden {
				if e == f {
					t.Errorf("unexpected %q before %q", e, want)
				}
			}
			if e == want {
				return
			}
		case <-timer.C:
			t.Fatalf("no %q event within 60 s", want)
		}
	}
}

// TestEmbeddedDefaultPairsOnce runs the daemon on the embedded default
// twice: the first start pairs and names the six virtual devices, the
// second neither pairs nor interviews anything.
func TestEmbeddedDefaultPairsOnce(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = ""
	cfg.Serial.Adapter = config.AdapterSim

	events, stop := runDaemon(t, cfg)
	waitEvent(t, events, "sim_paired", "sim_pair_failed", "sim_pair_incomplete")
	stop()

	want := map[string]string{}
	for i, name := range simDefaultNames {
		want[sim.DefaultDevices()[i].IEEE.String()] = name
	}
	attempts := checkStoredDevices(t, cfg.DataDir, want)

	events, stop = runDaemon(t, cfg)
	waitEvent(t, events, "ready", "sim_pair_start", "interview_started")
	stop()
	for ieee, n := range checkStoredDevices(t, cfg.DataDir, want) {
		if n != attempts[ieee] {
			t.Errorf("%s: %d interview attempts after the second start, %d before", ieee, n, attempts[ieee])
		}
	}
}

// checkStoredDevices checks the store holds exactly the named devices,
// interviewed, and returns their interview attempts.
func checkStoredDevices(t *testing.T, dataDir string, want map[string]string) map[string]int {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Path: filepath.Join(dataDir, "zhub.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	devs, err := st.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != len(want) {
		t.Errorf("%d devices stored, want %d", len(devs), len(want))
	}
	attempts := map[string]int{}
	for _, d := range devs {
		if want[d.IEEE] != d.FriendlyName {
			t.Errorf("device %s is named %q, want %q", d.IEEE, d.FriendlyName, want[d.IEEE])
		}
		var data struct {
			Interview struct {
				State    string `json:"state"`
				Attempts int    `json:"attempts"`
			} `json:"interview"`
		}
		if err := json.Unmarshal(d.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Interview.State != "SUCCESSFUL" {
			t.Errorf("%s interview %+v", d.FriendlyName, data.Interview)
		}
		attempts[d.IEEE] = data.Interview.Attempts
	}
	return attempts
}
