package hub_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestJoinInterviewSetPersistRestart is acceptance 1: through the real ZNP
// driver and the emulated dongle, a device joins, is interviewed, gets its
// capabilities, a brightness Set is confirmed by the device and persisted;
// after restarting everything (sim, driver, store, hub) on the same files
// the device, its name and its last state are there without a new
// interview.
func TestJoinInterviewSetPersistRestart(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "zhub.db")
	ctx := context.Background()
	simCfg := hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable})

	sr := hubtest.StartSim(t, simCfg)
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db})
	defs := hubtest.Pair(t, s, sr.Net, dimmable)

	def := defs[dimmable]
	if def == nil || def.Model != "TRADFRI bulb E27 WW 806lm" || def.Vendor != "IKEA of Sweden" {
		t.Fatalf("definition = %+v", def)
	}
	light := findExpose(def.Exposes, "light")
	if light == nil || findExpose(light.Features, "brightness") == nil || findExpose(light.Features, "state") == nil {
		t.Fatalf("no light with state and brightness in %s", mustJSON(def.Exposes))
	}

	if err := s.Hub.Rename(ctx, dimmable.String(), "kitchen_light"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Hub.Set(ctx, "kitchen_light", map[string]any{"brightness": 120, "transition": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if got["brightness"] != 120.0 || got["state"] != "ON" {
		t.Errorf("Set returned %v, want brightness 120 and state ON", got)
	}
	info, err := sr.Net.Device(ctx, dimmable)
	if err != nil {
		t.Fatal(err)
	}
	if info.Level != 120 || !info.OnOff {
		t.Errorf("the virtual bulb is at level %d on=%v, want 120 on", info.Level, info.OnOff)
	}
	if err := s.Hub.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	states, err := s.Store.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	if err := json.Unmarshal(states[dimmable.String()].State, &stored); err != nil {
		t.Fatal(err)
	}
	if stored["brightness"] != 120.0 || stored["state"] != "ON" {
		t.Errorf("stored state %v", stored)
	}
	before, _ := s.Hub.Device("kitchen_light")

	// Restart the whole daemon: hub, driver, store and the emulated dongle.
	s.Stop(t)
	sr.Stop(t)
	sr = hubtest.StartSim(t, simCfg)
	s = hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db})

	d, err := s.Hub.Device("kitchen_light")
	if err != nil {
		t.Fatal(err)
	}
	if d.IEEE != dimmable || d.Interview.State != hub.InterviewSuccessful || d.Interview.Attempts != before.Interview.Attempts {
		t.Errorf("after restart: ieee %v interview %+v (before %+v)", d.IEEE, d.Interview, before.Interview)
	}
	if d.State["brightness"] != 120.0 || d.State["state"] != "ON" {
		t.Errorf("state after restart = %v", d.State)
	}
	if findExpose(d.Definition.Exposes, "light") == nil {
		t.Errorf("definition lost: %s", mustJSON(d.Definition))
	}
	st := s.Hub.Status()
	if st.Interviewing != 0 || st.Devices != 1 || !st.NetworkUp || st.Online != 1 {
		t.Errorf("status after restart = %+v", st)
	}
	b, err := s.Hub.Backup(ctx)
	if err != nil || uint16(b.PANID) != uint16(st.Network.PANID) || uint8(b.Channel) != uint8(st.Network.Channel) {
		t.Errorf("backup %+v (%v), network %+v", b, err, st.Network)
	}
	// And it still works.
	got, err = s.Hub.Set(ctx, "kitchen_light", map[string]any{"brightness_percent": 20})
	if err != nil {
		t.Fatal(err)
	}
	if got["brightness"] != 51.0 {
		t.Errorf("brightness_percent 20 gave %v, want brightness 51", got)
	}
	for {
		select {
		case ev := <-s.Sub.C():
			if ip, ok := ev.(hub.InterviewProgress); ok {
				t.Errorf("re-interview after restart: %+v", ip)
			}
			continue
		default:
		}
		break
	}
}

func findExpose(xs []hub.Expose, name string) *hub.Expose {
	for i := range xs {
		if xs[i].Type == name || xs[i].Name == name || xs[i].Property == name {
			return &xs[i]
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
