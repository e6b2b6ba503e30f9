package hub_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhubhq/zhub/hub"
	"github.com/zhubhq/zhub/hub/hubtest"
	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// injectZCL makes the dongle deliver a ZCL frame as if the device at nwk
// had sent it (an AF_INCOMING_MSG written on the serial line).
func injectZCL(t testing.TB, n *sim.Network, nwk zigbee.NWK, cluster zigbee.ClusterID, zclHex string) {
	t.Helper()
	data, err := hex.DecodeString(strings.ReplaceAll(zclHex, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	var p []byte
	p = binary.LittleEndian.AppendUint16(p, 0) // group
	p = binary.LittleEndian.AppendUint16(p, uint16(cluster))
	p = binary.LittleEndian.AppendUint16(p, uint16(nwk))
	p = append(p, 1, 1, 0, 120, 0) // src ep, dst ep, unicast, LQI, security
	p = binary.LittleEndian.AppendUint32(p, 0x1234)
	p = append(p, 0, byte(len(data)))
	p = append(p, data...)
	p = binary.LittleEndian.AppendUint16(p, uint16(nwk))
	p = append(p, 0x1D)
	raw, err := znp.AppendFrame(nil, znp.Frame{Header: znp.Header{Type: znp.AREQ, Subsystem: znp.AF, ID: 0x81}, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.InjectRaw(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
}

func nwkOf(t testing.TB, h *hub.Hub, name string) zigbee.NWK {
	t.Helper()
	d, err := h.Device(name)
	if err != nil {
		t.Fatal(err)
	}
	return d.NWK
}

// TestBadFramesAndValues is acceptance 4 for what devices send: malformed
// ZCL and out-of-range values are reported as MessageRejected and leave
// the state alone, unknown clusters are ignored, and the device and the
// others keep working.
func TestBadFramesAndValues(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(),
		sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}, sim.DeviceSpec{Kind: sim.KindTHSensor, IEEE: thSensor}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, dimmable, thSensor)
	ctx := context.Background()
	light, sensor := nwkOf(t, s.Hub, dimmable.String()), nwkOf(t, s.Hub, thSensor.String())
	before, _ := s.Hub.Device(thSensor.String())

	injectZCL(t, sr.Net, light, 0x0008, "18 01 0A 0000 29 08") // an int16 cut in half
	e := hubtest.WaitFor(t, s.Sub, func(e hub.MessageRejected) bool { return true })
	if e.IEEE != dimmable || e.Cluster != 0x0008 || e.Err == nil || !strings.Contains(e.Err.Error(), "truncated") {
		t.Errorf("malformed frame: %+v", e)
	}
	injectZCL(t, sr.Net, light, 0x0008, "18") // not even a ZCL header
	if e := hubtest.WaitFor(t, s.Sub, func(e hub.MessageRejected) bool { return true }); e.IEEE != dimmable {
		t.Errorf("short frame: %+v", e)
	}

	injectZCL(t, sr.Net, sensor, 0x0405, "18 02 0A 0000 21 983A") // humidity 150.00 %
	e = hubtest.WaitFor(t, s.Sub, func(e hub.MessageRejected) bool { return true })
	if e.IEEE != thSensor || !errors.Is(e.Err, hub.ErrOutOfRange) || !strings.Contains(e.Err.Error(), "humidity") {
		t.Errorf("out of range: %+v", e)
	}
	injectZCL(t, sr.Net, sensor, 0xFC11, "1C 5F11 03 0A 0000 20 01") // manufacturer cluster
	injectZCL(t, sr.Net, sensor, 0x0402, "18 04 0A 0000 29 6C07")    // 19.00 °C, after all that
	sc := hubtest.WaitFor(t, s.Sub, func(e hub.StateChanged) bool { _, ok := e.Changed["temperature"]; return ok && e.IEEE == thSensor })
	if sc.State["temperature"] != 19.0 || sc.State["humidity"] != before.State["humidity"] {
		t.Errorf("state after bad input: %v (humidity before %v)", sc.State, before.State["humidity"])
	}
	if got, err := s.Hub.Set(ctx, dimmable.String(), map[string]any{"state": "on"}); err != nil || got["state"] != "ON" {
		t.Errorf("the light after bad input: %v %v", got, err)
	}
	st := s.Hub.Status()
	if st.Malformed != 2 || st.Rejected != 1 {
		t.Errorf("status counters %+v", st)
	}
	// A source address no device has is counted and ignored.
	injectZCL(t, sr.Net, 0x7777, 0x0006, "18 05 0A 0000 10 01")
	if got, err := s.Hub.Set(ctx, dimmable.String(), map[string]any{"state": "OFF"}); err != nil || got["state"] != "OFF" {
		t.Errorf("set after unknown source: %v %v", got, err)
	}
	if st := s.Hub.Status(); st.UnknownSource != 1 {
		t.Errorf("unknown source count %d", st.UnknownSource)
	}
}

// TestInterviewNeverAnswered is acceptance 4 for a device that does not
// answer its interview: a sleepy remote that polls once a second while
// the hub waits 100 ms per request. The failure is an event with a clear
// error, other devices keep working meanwhile, it is stored, and after a
// restart the interview resumes when the remote next sends something.
func TestInterviewNeverAnswered(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "zhub.db")
	cfg := hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}, sim.DeviceSpec{Kind: sim.KindRemote, IEEE: remote})
	cfg.AwakeTime = time.Nanosecond // asleep at once: frames wait for the next poll
	cfg.PollInterval = time.Second
	sr := hubtest.StartSim(t, cfg)
	ctx := context.Background()

	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db, Tweak: func(c *hub.Config) {
		c.CommandTimeout = 100 * time.Millisecond
		c.InterviewAttempts = 2
		c.InterviewRetryAfter = time.Hour // no resume within this phase
	}})
	hubtest.Pair(t, s, sr.Net, dimmable)
	if err := sr.Net.Press(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if err := s.Hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State == hub.InterviewInProgress
	})
	// The stuck interview does not hold up the light.
	if got, err := s.Hub.Set(ctx, dimmable.String(), map[string]any{"brightness": 77}); err != nil || got["brightness"] != 77.0 {
		t.Errorf("set during a stuck interview: %v %v", got, err)
	}
	fail := hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State == hub.InterviewFailed
	})
	if !strings.Contains(fail.Interview.Error, "no answer") || fail.Interview.Step == "" {
		t.Errorf("failure event %+v", fail.Interview)
	}
	d, _ := s.Hub.Device(remote.String())
	if d.Interview.State != hub.InterviewFailed || d.Interview.Error == "" {
		t.Errorf("device interview %+v", d.Interview)
	}
	s.Stop(t)

	s = hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db, Tweak: func(c *hub.Config) { c.InterviewRetryAfter = -1 }})
	d, err := s.Hub.Device(remote.String())
	if err != nil || d.Interview.State != hub.InterviewFailed {
		t.Fatalf("after restart: %+v %v", d.Interview, err)
	}
	if err := sr.Net.RemoteButton(ctx, remote, 2); err != nil { // the remote wakes up and speaks
		t.Fatal(err)
	}
	ok := hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State != hub.InterviewInProgress
	})
	if ok.Interview.State != hub.InterviewSuccessful || ok.Definition == nil || findExpose(ok.Definition.Exposes, "action") == nil {
		t.Fatalf("resumed interview: %+v %v", ok.Interview, ok.Definition)
	}
	if ok.Interview.Attempts < 2 {
		t.Errorf("attempts %d, want the failed one counted", ok.Interview.Attempts)
	}
}

// TestNames covers friendly names: duplicates, invalid names, lookups by
// IEEE address, suggestions for typos.
func TestNames(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}, sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug}))
	db := filepath.Join(t.TempDir(), "zhub.db")
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db})
	hubtest.Pair(t, s, sr.Net, dimmable, plug)
	ctx := context.Background()
	if err := s.Hub.Rename(ctx, dimmable.String(), "kitchen_light"); err != nil {
		t.Fatal(err)
	}
	ev := hubtest.WaitFor(t, s.Sub, func(e hub.DeviceRenamed) bool { return true })
	if ev.From != dimmable.String() || ev.To != "kitchen_light" || ev.IEEE != dimmable {
		t.Errorf("renamed event %+v", ev)
	}
	tests := []struct {
		name     string
		from, to string
		want     error
	}{
		{"duplicate", plug.String(), "kitchen_light", hub.ErrDuplicateName},
		{"another device's address", plug.String(), strings.ToUpper(dimmable.String()[2:]), hub.ErrDuplicateName},
		{"reserved", plug.String(), "bridge", hub.ErrInvalidName},
		{"wildcard", plug.String(), "plug/#", hub.ErrInvalidName},
		{"empty level", plug.String(), "kitchen//plug", hub.ErrInvalidName},
		{"empty", plug.String(), "", hub.ErrInvalidName},
		{"unknown", "kitchen_lihgt", "x", hub.ErrUnknownDevice},
		{"folders are fine", plug.String(), "kitchen/coffee_plug", nil},
		{"by IEEE, any case", strings.ToUpper(dimmable.String()[2:]), "kitchen/light", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Hub.Rename(ctx, tc.from, tc.to)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Errorf("Rename(%q, %q) = %v, want %v", tc.from, tc.to, err, tc.want)
			}
		})
	}
	_, err := s.Hub.Device("kitchen/lihgt")
	var ue *hub.UnknownDeviceError
	if !errors.As(err, &ue) || ue.Suggestion != "kitchen/light" || !strings.Contains(err.Error(), `did you mean "kitchen/light"`) {
		t.Errorf("typo lookup: %v", err)
	}
	if _, err := s.Hub.Device("garage_door"); !errors.As(err, &ue) || ue.Suggestion != "" {
		t.Errorf("unrelated name: %v", err)
	}
	if _, err := s.Hub.Set(ctx, "kitchen/lihgt", map[string]any{"state": "ON"}); !errors.Is(err, hub.ErrUnknownDevice) {
		t.Errorf("set on a typo: %v", err)
	}
	// Names survive a restart.
	s.Stop(t)
	s = hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db})
	if _, err := s.Hub.Device("kitchen/coffee_plug"); err != nil {
		t.Error(err)
	}
}

// TestSetOnOfflineDevice is acceptance 4 for a command to a device that is
// gone: a clear error naming the delivery failure and the offline state.
func TestSetOnOfflineDevice(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindPlug, IEEE: plug}, sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{})
	hubtest.Pair(t, s, sr.Net, plug, dimmable)
	ctx := context.Background()
	if err := s.Hub.Rename(ctx, plug.String(), "coffee_plug"); err != nil {
		t.Fatal(err)
	}
	if err := sr.Net.Leave(ctx, plug); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.AvailabilityChanged) bool { return e.IEEE == plug && !e.Available })
	_, err := s.Hub.Set(ctx, "coffee_plug", map[string]any{"state": "ON"})
	var ce *hub.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, hub.ErrDeviceOffline) || !errors.Is(err, hub.ErrNotDelivered) ||
		!strings.Contains(err.Error(), "offline") || !strings.Contains(err.Error(), "MAC_NO_ACK") {
		t.Fatalf("set on an offline device: %v", err)
	}
	if _, err := s.Hub.Set(ctx, dimmable.String(), map[string]any{"state": "TOGGLE"}); err != nil {
		t.Errorf("other device: %v", err)
	}
}

// TestAvailability: a mains device that stops answering is pinged and
// marked offline, then online again when it answers; a battery device
// goes offline after the passive timeout without being pinged.
func TestAvailability(t *testing.T) {
	sr := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindDimmable, IEEE: dimmable}))
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{Tweak: func(c *hub.Config) {
		c.ActiveTimeout = 30 * time.Millisecond
		c.AvailabilityInterval = 10 * time.Millisecond
	}})
	hubtest.Pair(t, s, sr.Net, dimmable)
	// The next two transmissions (the two ping attempts) get no MAC ACK.
	if err := sr.Net.FailConfirms(context.Background(), 0xE9, 0xE9); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.AvailabilityChanged) bool { return e.IEEE == dimmable && !e.Available })
	hubtest.WaitFor(t, s.Sub, func(e hub.AvailabilityChanged) bool { return e.IEEE == dimmable && e.Available })

	sr2 := hubtest.StartSim(t, hubtest.SimConfig(t.TempDir(), sim.DeviceSpec{Kind: sim.KindTHSensor, IEEE: thSensor}))
	s2 := hubtest.StartStack(t, sr2.Net, hubtest.Config{Tweak: func(c *hub.Config) {
		c.PassiveTimeout = 30 * time.Millisecond
		c.AvailabilityInterval = 10 * time.Millisecond
	}})
	hubtest.Pair(t, s2, sr2.Net, thSensor)
	hubtest.WaitFor(t, s2.Sub, func(e hub.AvailabilityChanged) bool { return e.IEEE == thSensor && !e.Available })
	if d, _ := s2.Hub.Device(thSensor.String()); d.Available {
		t.Error("sensor still available")
	}
}

// TestInterviewResumesAfterRestart: a hub stopped in the middle of an
// interview continues it when it starts again, without the device having
// to speak.
func TestInterviewResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "zhub.db")
	cfg := hubtest.SimConfig(dir, sim.DeviceSpec{Kind: sim.KindRemote, IEEE: remote})
	cfg.AwakeTime = time.Nanosecond
	cfg.PollInterval = 200 * time.Millisecond
	sr := hubtest.StartSim(t, cfg)
	ctx := context.Background()
	s := hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db, Tweak: func(c *hub.Config) { c.CommandTimeout = time.Hour }})
	if err := sr.Net.Press(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if err := s.Hub.PermitJoin(ctx, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State == hub.InterviewInProgress
	})
	s.Stop(t) // mid-interview: the first request waits for the next poll

	s = hubtest.StartStack(t, sr.Net, hubtest.Config{DBPath: db})
	e := hubtest.WaitFor(t, s.Sub, func(e hub.InterviewProgress) bool {
		return e.IEEE == remote && e.Interview.State != hub.InterviewInProgress
	})
	if e.Interview.State != hub.InterviewSuccessful {
		t.Fatalf("resumed interview: %+v", e.Interview)
	}
}
