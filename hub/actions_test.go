package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// TestSetForms sets a colour light with every accepted value form and
// checks the values the device reported back, and that invalid requests
// are refused before anything is sent.
func TestSetForms(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindColorLight, IEEE: colorLight}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, colorLight)
	ctx := context.Background()
	const lamp = "living_room_lamp"
	if err := s.Hub.Rename(ctx, colorLight.String(), lamp); err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		name string
		set  map[string]any
		want map[string]any
	}{
		{"on, lower case", map[string]any{"state": "on"}, map[string]any{"state": "ON"}},
		{"toggle", map[string]any{"state": "Toggle"}, map[string]any{"state": "OFF"}},
		{"brightness switches on", map[string]any{"brightness": 100, "transition": 1}, map[string]any{"brightness": 100.0, "state": "ON"}},
		{"brightness percent", map[string]any{"brightness_percent": 50.0}, map[string]any{"brightness": 127.0, "state": "ON"}},
		{"brightness 0 switches off", map[string]any{"brightness": 0}, map[string]any{"state": "OFF"}},
		{"state and brightness", map[string]any{"state": "ON", "brightness": 200}, map[string]any{"brightness": 200.0, "state": "ON"}},
		{"color temp", map[string]any{"color_temp": 300}, map[string]any{"color_temp": 300.0}},
		{"color temp preset", map[string]any{"color_temp": "warmest"}, map[string]any{"color_temp": 500.0}},
		{"color temp coolest", map[string]any{"color_temp": "COOLEST"}, map[string]any{"color_temp": 153.0}},
		{"color xy", map[string]any{"color": map[string]any{"x": 0.3, "y": 0.4}},
			map[string]any{"color": map[string]any{"x": 0.3, "y": 0.4, "hue": 0.0, "saturation": 0.0}}},
		{"color hue/sat", map[string]any{"color": map[string]any{"hue": 120, "saturation": 100}},
			map[string]any{"color": map[string]any{"x": 0.3, "y": 0.4, "hue": 120.0, "saturation": 100.0}}},
		{"color h/s", map[string]any{"color": map[string]any{"h": 240, "s": 50}},
			map[string]any{"color": map[string]any{"x": 0.3, "y": 0.4, "hue": 240.0, "saturation": 50.0}}},
		{"color hex", map[string]any{"color": map[string]any{"hex": "#ff0000"}},
			map[string]any{"color": map[string]any{"x": 0.6401, "y": 0.33, "hue": 240.0, "saturation": 50.0}}},
		{"color bare hex", map[string]any{"color": "#0000FF"},
			map[string]any{"color": map[string]any{"x": 0.15, "y": 0.06, "hue": 240.0, "saturation": 50.0}}},
		{"color rgb", map[string]any{"color": map[string]any{"r": 0, "g": 255, "b": 0}},
			map[string]any{"color": map[string]any{"x": 0.3, "y": 0.6, "hue": 240.0, "saturation": 50.0}}},
		{"color rgb string", map[string]any{"color": map[string]any{"rgb": "255,255,255"}},
			map[string]any{"color": map[string]any{"x": 0.3127, "y": 0.329, "hue": 240.0, "saturation": 50.0}}},
		{"transition alone does nothing", map[string]any{"transition": 2}, map[string]any{}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Hub.Set(ctx, lamp, tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Set(%v) = %v, want %v", tc.set, got, tc.want)
			}
		})
	}
	info, err := sr.Net.Device(ctx, colorLight)
	if err != nil {
		t.Fatal(err)
	}
	if info.Level != 200 || info.ColorTemp != 153 {
		t.Errorf("virtual lamp: level %d colour temperature %d", info.Level, info.ColorTemp)
	}

	bad := []struct {
		name   string
		set    map[string]any
		reason error
		text   string
	}{
		{"unknown property", map[string]any{"brightnes": 10}, hub.ErrUnknownProperty, `did you mean "brightness"`},
		{"read-only", map[string]any{"linkquality": 10}, hub.ErrReadOnly, "read-only"},
		{"out of range", map[string]any{"brightness": 300}, hub.ErrOutOfRange, "0–254"},
		{"below range", map[string]any{"color_temp": 100}, hub.ErrOutOfRange, "153–500"},
		{"percent out of range", map[string]any{"brightness_percent": 101}, hub.ErrOutOfRange, "0–100"},
		{"wrong type", map[string]any{"brightness": "high"}, hub.ErrInvalidValue, "a number 0–254"},
		{"unknown preset", map[string]any{"color_temp": "lukewarm"}, hub.ErrInvalidValue, "coolest"},
		{"bad state", map[string]any{"state": "OPEN"}, hub.ErrInvalidValue, "ON, OFF, TOGGLE"},
		{"bad colour", map[string]any{"color": map[string]any{"hex": "#12"}}, hub.ErrInvalidValue, "hex"},
		{"colour out of range", map[string]any{"color": map[string]any{"x": 1.5, "y": 0.2}}, hub.ErrOutOfRange, ""},
		{"negative transition", map[string]any{"state": "ON", "transition": -1}, hub.ErrInvalidValue, "seconds"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Hub.Set(ctx, lamp, tc.set)
			var pe *hub.PropertyError
			if !errors.As(err, &pe) || !errors.Is(err, tc.reason) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), lamp) {
				t.Errorf("Set(%v) = %v, want a PropertyError %v mentioning %q", tc.set, err, tc.reason, tc.text)
			}
		})
	}
	if info2, _ := sr.Net.Device(ctx, colorLight); info2.Level != info.Level || info2.ColorTemp != info.ColorTemp {
		t.Error("a refused Set changed the lamp")
	}
}

// TestGet reads properties from the device.
func TestGet(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug}, sim.DeviceSpec{Kind: sim.KindContact, IEEE: contact}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, plug, contact)
	ctx := context.Background()
	if err := sr.Net.SetOnOff(ctx, plug, true); err != nil { // the plug's own button
		t.Fatal(err)
	}
	got, err := s.Hub.Get(ctx, plug.String(), "state", "power", "current")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"state": "ON", "power": 60.0, "current": 0.261}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %v, want %v", got, want)
	}
	all, err := s.Hub.Get(ctx, plug.String())
	if err != nil || all["voltage"] != 230.0 || all["energy"] == nil {
		t.Errorf("Get all = %v, %v", all, err)
	}
	if _, err := s.Hub.Get(ctx, plug.String(), "brightness"); !errors.Is(err, hub.ErrUnknownProperty) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := s.Hub.Get(ctx, contact.String(), "contact"); !errors.Is(err, hub.ErrNotReadable) {
		t.Errorf("contact: %v", err)
	}
	// A re-interview on demand runs every step again.
	before, _ := s.Hub.Device(plug.String())
	if err := s.Hub.Interview(ctx, plug.String()); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Hub.Device(plug.String())
	if after.Interview.State != hub.InterviewSuccessful || after.Interview.Attempts != before.Interview.Attempts+1 {
		t.Errorf("re-interview: %+v (before %+v)", after.Interview, before.Interview)
	}
	if err := s.Hub.Interview(ctx, "no_such_device"); !errors.Is(err, hub.ErrUnknownDevice) {
		t.Errorf("interview of an unknown device: %v", err)
	}
}

// TestRemoteAndContact: a remote's button press is an action event; a
// contact sensor's zone notifications change contact.
func TestRemoteAndContact(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindRemote, IEEE: remote}, sim.DeviceSpec{Kind: sim.KindContact, IEEE: contact}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, remote, contact)
	ctx := context.Background()
	for _, cmd := range []uint8{1, 1, 0} {
		if err := sr.Net.RemoteButton(ctx, remote, cmd); err != nil {
			t.Fatal(err)
		}
		want := map[uint8]string{0: "off", 1: "on"}[cmd]
		e := hubtest.WaitFor(t, s.Sub, func(e hub.StateChanged) bool { return e.IEEE == remote && e.Changed["action"] != nil })
		if e.Changed["action"] != want || e.State["action"] != want {
			t.Errorf("action %v, want %q", e.Changed, want)
		}
	}
	if d, _ := s.Hub.Device(remote.String()); d.State["action"] != nil {
		t.Errorf("action kept in the state: %v", d.State)
	}
	if d, _ := s.Hub.Device(contact.String()); d.State["contact"] != true {
		t.Errorf("contact after the interview: %v", d.State)
	}
	if err := sr.Net.SetContact(ctx, contact, true); err != nil {
		t.Fatal(err)
	}
	e := hubtest.WaitFor(t, s.Sub, func(e hub.StateChanged) bool { return e.IEEE == contact && e.Changed["contact"] != nil })
	if e.Changed["contact"] != false {
		t.Errorf("door opened: %v", e.Changed)
	}
	if err := sr.Net.SetContact(ctx, contact, false); err != nil {
		t.Fatal(err)
	}
	if e := hubtest.WaitFor(t, s.Sub, func(e hub.StateChanged) bool { return e.IEEE == contact && e.Changed["contact"] != nil }); e.Changed["contact"] != true {
		t.Errorf("door closed: %v", e.Changed)
	}
}

// TestRemove: a leave request removes the device from the hub, the store
// and the network; force removes it without asking.
func TestRemove(t *testing.T) {
	dir := t.TempDir()
	sr := hubtest.StartSim(t, hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}, sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: filepath.Join(dir, "zhub.db")})
	hubtest.Pair(t, s, sr.Net, dimmable, plug)
	ctx := context.Background()
	if err := s.Hub.Remove(ctx, dimmable.String(), false); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.DeviceRemoved) bool { return e.IEEE == dimmable })
	if _, err := s.Hub.Device(dimmable.String()); !errors.Is(err, hub.ErrUnknownDevice) {
		t.Errorf("removed device still known: %v", err)
	}
	// The device leaves a moment after it answered; the hub no longer
	// tracks it, so poll the emulated network (bounded).
	for deadline := time.Now().Add(guard); ; time.Sleep(5 * time.Millisecond) {
		if info, _ := sr.Net.Device(ctx, dimmable); !info.Joined {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the device did not leave the network")
		}
	}
	if err := sr.Net.Leave(ctx, plug); err != nil { // gone without telling
		t.Fatal(err)
	}
	var ce *hub.CommandError
	if err := s.Hub.Remove(ctx, plug.String(), false); !errors.As(err, &ce) || !strings.Contains(err.Error(), "use force") {
		t.Errorf("remove of an absent device without force: %v", err)
	}
	if err := s.Hub.Remove(ctx, plug.String(), true); err != nil {
		t.Fatal(err)
	}
	devs, err := s.Store.Devices(ctx)
	if err != nil || len(devs) != 0 {
		t.Errorf("store still has %v (%v)", devs, err)
	}
}

// TestHistoryAndSlowSubscriber: reports end up in the history; a
// subscriber that does not read loses events (counted) while another one
// sees all of them in order.
func TestHistoryAndSlowSubscriber(t *testing.T) {
	dir := t.TempDir()
	sr := hubtest.StartSim(t, hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: filepath.Join(dir, "zhub.db"), Tweak: func(c *hub.Config) { c.HistoryRate = 1000 }})
	hubtest.Pair(t, s, sr.Net, plug)
	ctx := context.Background()
	slow := s.Hub.Subscribe(1)
	defer slow.Close()
	from := time.Now()
	const n = 200
	if err := sr.Net.Report(ctx, plug, n); err != nil {
		t.Fatal(err)
	}
	var states []string
	for len(states) < n {
		e := hubtest.WaitFor(t, s.Sub, func(e hub.StateChanged) bool { return e.IEEE == plug && e.Changed["state"] != nil })
		states = append(states, e.Changed["state"].(string))
	}
	for i := 1; i < n; i++ {
		if states[i] == states[i-1] {
			t.Fatalf("reports %d and %d both %s: events lost or out of order", i-1, i, states[i])
		}
	}
	if slow.Dropped() == 0 {
		t.Error("a subscriber that never reads dropped nothing")
	}
	pts, err := s.Hub.History(ctx, plug.String(), "state", from, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The store keeps milliseconds, so the state read at the end of the
	// interview may fall in from's millisecond: n or n+1 points.
	if len(pts) < n || len(pts) > n+1 {
		t.Fatalf("%d history points, want %d", len(pts), n)
	}
	for i, p := range pts[len(pts)-n:] {
		if p.Value != states[i] || p.Property != "state" {
			t.Fatalf("history point %d = %+v, want state %s", i, p, states[i])
		}
	}
}

// TestPermitJoinVia opens joining through one router only; a device
// pressed meanwhile joins and is interviewed. A non-router cannot admit.
func TestPermitJoinVia(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable},
		sim.DeviceSpec{Kind: sim.KindContact, IEEE: contact}, sim.DeviceSpec{Kind: sim.KindLight, IEEE: spareLight}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, dimmable, contact)
	ctx := context.Background()
	if err := s.Hub.Rename(ctx, dimmable.String(), "kitchen_light"); err != nil {
		t.Fatal(err)
	}
	if err := s.Hub.PermitJoin(ctx, 30*time.Second, contact.String()); !errors.Is(err, hub.ErrInvalidValue) {
		t.Errorf("permit join via an end device: %v", err)
	}
	if err := sr.Net.Press(ctx, spareLight); err != nil {
		t.Fatal(err)
	}
	if err := s.Hub.PermitJoin(ctx, 30*time.Second, "kitchen_light"); err != nil {
		t.Fatal(err)
	}
	pj := hubtest.WaitFor(t, s.Sub, func(e hub.PermitJoinChanged) bool { return e.Open && e.Via != "" })
	if pj.Via != "kitchen_light" || pj.Until.IsZero() {
		t.Errorf("permit join event %+v", pj)
	}
	if st := s.Hub.Status(); st.PermitJoinUntil.IsZero() || st.PermitJoinVia != "kitchen_light" {
		t.Errorf("status %+v", st)
	}
	e := hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == spareLight && e.Interview.State != hub.InterviewInProgress
	})
	if e.Interview.State != hub.InterviewSuccessful {
		t.Errorf("spare light: %+v", e.Interview)
	}
	if err := s.Hub.PermitJoin(ctx, 0, ""); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.PermitJoinChanged) bool { return !e.Open })
	if st := s.Hub.Status(); !st.PermitJoinUntil.IsZero() {
		t.Errorf("closed, but status says until %v", st.PermitJoinUntil)
	}
}
