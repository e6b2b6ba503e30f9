package znp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/sim"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// The tests in this file run the driver against the emulated dongle of
// zigbee/sim (in process, and once through its pty front end). They live
// in package znp_test because sim imports znp's frame codec.

// testLogger logs to the test output when ZNP_TEST_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ZNP_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// Fixed addresses of the virtual devices the tests use.
const (
	lightIEEE  zigbee.IEEE = 0x00124b00c0ffee01
	sensorIEEE zigbee.IEEE = 0x00124b00c0ffee02
)

// newSim runs a virtual network whose state lives in path ("" = memory).
func newSim(t testing.TB, path string, devs ...sim.DeviceSpec) *sim.Network {
	t.Helper()
	n, err := sim.New(sim.Config{StatePath: path, Devices: devs, ResetDelay: 5 * time.Millisecond,
		ConfirmDelay: time.Nanosecond, DeviceDelay: time.Nanosecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sim: %v", err)
		}
	})
	return n
}

// running is a driver under Run.
type running struct {
	t       testing.TB
	d       *znp.Driver
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

func startDriver(t testing.TB, cfg znp.Config) *running {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	d, err := znp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, d: d, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop cancels Run and checks that it returns nil and closes Events.
func (r *running) stop() {
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Errorf("Run returned %v, want nil", err)
	}
	for range r.d.Events() {
	}
}

// next returns the next event of type T, skipping others.
func next[T zigbee.Event](t testing.TB, r *running) T {
	t.Helper()
	return nextWhere(t, r, func(T) bool { return true })
}

// nextWhere returns the next event of type T that ok accepts.
func nextWhere[T zigbee.Event](t testing.TB, r *running, ok func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev, open := <-r.d.Events():
			if !open {
				t.Fatalf("events closed while waiting for %T", *new(T))
			}
			if e, is := ev.(T); is && ok(e) {
				return e
			}
		case <-deadline.C:
			t.Fatalf("no %T within 30 s", *new(T))
		}
	}
}

func simConfig(n *sim.Network) znp.Config { return znp.Config{Open: n.OpenZNP} }

func TestDriverFormsOnBlankDongleAndResumes(t *testing.T) {
	state := filepath.Join(t.TempDir(), "dongle.json")
	n := newSim(t, state)
	r := startDriver(t, simConfig(n))
	info := next[zigbee.NetworkUp](t, r).Info
	if !info.Formed {
		t.Errorf("Formed = false on a blank dongle")
	}
	if !info.PANID.Valid() || info.PANID > 0x3FFF || info.ExtPANID == 0 || info.Channel != 11 {
		t.Errorf("formed network %+v: want a random PAN id ≤ 0x3FFF, an ext PAN id, channel 11", info)
	}
	if info.Firmware.Product != "Z-Stack 3.x.0" || info.Firmware.Revision == "" || info.IEEE == 0 {
		t.Errorf("info = %+v", info)
	}
	if got, ok := r.d.Info(); !ok || got != info {
		t.Errorf("Info() = %+v, %v; want the NetworkUp info", got, ok)
	}
	ci, err := n.Coordinator(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ci.State != 9 || ci.PANID != info.PANID || ci.ExtPANID != info.ExtPANID {
		t.Errorf("sim coordinator %+v does not run the network %+v", ci, info)
	}
	b, err := r.d.Backup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b.Key().IsWellKnown() {
		t.Errorf("formed with a well-known network key")
	}
	r.stop()
	if _, ok := r.d.Info(); ok {
		t.Errorf("Info reports up after Run returned")
	}
	if err := r.d.PermitJoin(t.Context(), time.Minute, 0); !errors.Is(err, zigbee.ErrNotRunning) {
		t.Errorf("PermitJoin after Run: %v, want ErrNotRunning", err)
	}

	// A second driver (a restarted daemon) resumes the same network.
	r2 := startDriver(t, simConfig(n))
	up2 := next[zigbee.NetworkUp](t, r2).Info
	if up2.Formed || up2.PANID != info.PANID || up2.ExtPANID != info.ExtPANID || up2.Channel != info.Channel {
		t.Errorf("after restart: %+v, want the same network %+v resumed", up2, info)
	}
	b2, err := r2.d.Backup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b2.Key() != b.Key() {
		t.Errorf("the network key changed across a restart")
	}
}

func TestDriverStartDecision(t *testing.T) {
	n := newSim(t, "")
	want := zigbee.NetworkConfig{Channel: 15, PANID: 0x1A62, ExtPANID: 0x00124b00dddd0001,
		Key: zigbee.NetworkKey{0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xA9, 0xBA, 0xCB, 0xDC, 0xED, 0xFE, 0x0F}}
	steps := []struct {
		name       string
		cfg        zigbee.NetworkConfig
		wantFormed bool
		wantPAN    zigbee.PANID
		wantCh     zigbee.Channel
	}{
		{"blank dongle: form with the configured values", want, true, 0x1A62, 15},
		{"same configuration: resume", want, false, 0x1A62, 15},
		{"generate values match any network: resume", zigbee.NetworkConfig{}, false, 0x1A62, 15},
		{"other channel: form", zigbee.NetworkConfig{Channel: 20}, true, 0, 20},
		{"force_form: form even though it matches", zigbee.NetworkConfig{Channel: 20, ForceForm: true}, true, 0, 20},
	}
	var lastPAN zigbee.PANID
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := startDriver(t, znp.Config{Open: n.OpenZNP, Network: st.cfg})
			info := next[zigbee.NetworkUp](t, r).Info
			if info.Formed != st.wantFormed || info.Channel != st.wantCh {
				t.Errorf("formed %v on channel %d, want formed %v on %d", info.Formed, info.Channel, st.wantFormed, st.wantCh)
			}
			if st.wantPAN != 0 && info.PANID != st.wantPAN {
				t.Errorf("PAN id %v, want %v", info.PANID, st.wantPAN)
			}
			if st.wantFormed && st.wantPAN == 0 && info.PANID == lastPAN {
				t.Errorf("a new network kept the PAN id %v", info.PANID)
			}
			if st.cfg.Key != (zigbee.NetworkKey{}) {
				b, err := r.d.Backup(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if b.Key() != st.cfg.Key {
					t.Errorf("network key differs from the configured one")
				}
			}
			if st.cfg.ForceForm {
				// force_form applies once: after a watchdog reset the same
				// driver resumes.
				if err := n.Reset(t.Context()); err != nil {
					t.Fatal(err)
				}
				again := next[zigbee.NetworkUp](t, r).Info
				if again.Formed || again.PANID != info.PANID {
					t.Errorf("after a reset: formed %v PAN %v, want %v resumed", again.Formed, again.PANID, info.PANID)
				}
			}
			lastPAN = info.PANID
			r.stop()
		})
	}
}

// joinLight starts a driver on a fresh sim with a light, opens the network
// and lets the light join; it returns the light's NWK address.
func joinLight(t testing.TB) (*sim.Network, *running, zigbee.NWK) {
	t.Helper()
	n := newSim(t, "", sim.DeviceSpec{Kind: sim.KindLight, IEEE: lightIEEE})
	r := startDriver(t, simConfig(n))
	next[zigbee.NetworkUp](t, r)
	if err := r.d.PermitJoin(t.Context(), 60*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	if pj := next[zigbee.PermitJoinChanged](t, r); !pj.Open || pj.Duration != 60*time.Second {
		t.Errorf("PermitJoinChanged = %+v, want open for 60 s", pj)
	}
	ci, err := n.Coordinator(t.Context())
	if err != nil || !ci.PermitJoin {
		t.Fatalf("sim permit join not open: %+v %v", ci, err)
	}
	if err := n.Press(t.Context(), lightIEEE); err != nil {
		t.Fatal(err)
	}
	joined := next[zigbee.DeviceJoined](t, r)
	ann := next[zigbee.DeviceAnnounced](t, r)
	if joined.IEEE != lightIEEE || ann.IEEE != lightIEEE || ann.NWK != joined.NWK || ann.NWK == 0 {
		t.Fatalf("joined %+v, announced %+v: want the light", joined, ann)
	}
	if ann.Capabilities&0x02 == 0 {
		t.Errorf("the light announced capabilities 0x%02X without the router bit", ann.Capabilities)
	}
	return n, r, ann.NWK
}

func TestDriverJoinInterviewAndOnOff(t *testing.T) {
	n, r, nwk := joinLight(t)
	ctx := t.Context()

	// ZDO: active endpoints and the node descriptor of the light.
	rsp, err := r.d.ZDORequest(ctx, nwk, 0x0005, []byte{0x21, byte(nwk), byte(nwk >> 8)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp) < 5 || rsp[0] != 0x21 || rsp[1] != 0 || zigbee.NWK(uint16(rsp[2])|uint16(rsp[3])<<8) != nwk || rsp[4] == 0 {
		t.Fatalf("Active_EP_rsp = % X, want tsn 21, success, the light's address and endpoints", rsp)
	}
	rsp, err = r.d.ZDORequest(ctx, nwk, 0x0002, []byte{0x22, byte(nwk), byte(nwk >> 8)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp) != 1+3+13 || rsp[1] != 0 || rsp[4]&0x07 != 1 {
		t.Fatalf("Node_Desc_rsp = % X, want 13 descriptor bytes of a router", rsp)
	}
	// A device that does not exist: the request is accepted, no answer comes.
	if _, err := r.d.ZDORequest(ctx, nwk, 0x0099, []byte{0x23}); !errors.Is(err, zigbee.ErrUnsupported) {
		t.Errorf("unsupported ZDO cluster: %v", err)
	}

	// ZCL On with a default response.
	on := zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Profile: zigbee.ProfileHA, Cluster: 0x0006,
		Payload: []byte{0x01, 0x07, 0x01}}
	if err := r.d.Send(ctx, on); err != nil {
		t.Fatalf("Send On: %v", err)
	}
	msg := nextWhere(t, r, func(m zigbee.MessageReceived) bool {
		p := m.Message.Payload
		return m.Message.Src == nwk && m.Message.Cluster == 6 && len(p) >= 3 && p[1] == 0x07
	}).Message
	// ZCL Default Response (global, server to client) to command 0x01, success.
	if msg.SrcEndpoint != 1 || msg.DstEndpoint != 1 || msg.Profile != zigbee.ProfileHA || msg.LQI == 0 ||
		!bytes.Equal(msg.Payload[2:], []byte{0x0B, 0x01, 0x00}) || msg.Payload[0]&0x0B != 0x08 {
		t.Errorf("reply %+v: want the light's default response to seq 7 on endpoint 1 with an LQI", msg)
	}
	dev, err := n.Device(ctx, lightIEEE)
	if err != nil || !dev.OnOff {
		t.Fatalf("light state %+v %v: want on", dev, err)
	}
	// The light reports its On/Off attribute: it arrives as MessageReceived.
	if err := n.Report(ctx, lightIEEE, 1); err != nil {
		t.Fatal(err)
	}
	rep := nextWhere(t, r, func(m zigbee.MessageReceived) bool {
		p := m.Message.Payload
		return m.Message.Src == nwk && m.Message.Cluster == 6 && len(p) >= 3 && p[2] == 0x0A
	}).Message
	if len(rep.Payload) < 7 || rep.Payload[3] != 0 || rep.Payload[4] != 0 {
		t.Errorf("report payload % X, want attribute 0x0000", rep.Payload)
	}

	// Groups go out with AF_DATA_REQUEST_EXT and are confirmed too.
	grp := zigbee.APSFrame{Dst: zigbee.Groupcast(0x0001), Profile: zigbee.ProfileHA, Cluster: 0x0006, Payload: []byte{0x01, 0x08, 0x00}}
	if err := r.d.Send(ctx, grp); err != nil {
		t.Errorf("Send to a group: %v", err)
	}
	// A long payload goes out with AF_DATA_REQUEST_EXT.
	long := on
	long.Payload = append([]byte{0x00, 0x09, 0x00}, bytes.Repeat([]byte{0x00, 0x00}, 60)...)
	if err := r.d.Send(ctx, long); err != nil {
		t.Errorf("Send 123 bytes: %v", err)
	}
	tooLong := on
	tooLong.Payload = make([]byte, znp.MaxSendPayload+1)
	if err := r.d.Send(ctx, tooLong); err == nil {
		t.Errorf("Send of %d bytes succeeded", len(tooLong.Payload))
	}

	// The device leaves.
	if err := n.Leave(ctx, lightIEEE); err != nil {
		t.Fatal(err)
	}
	left := next[zigbee.DeviceLeft](t, r)
	if left.IEEE != lightIEEE || left.Rejoin {
		t.Errorf("DeviceLeft = %+v, want the light, no rejoin", left)
	}

	// Closing the network.
	if err := r.d.PermitJoin(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if pj := next[zigbee.PermitJoinChanged](t, r); pj.Open {
		t.Errorf("PermitJoinChanged = %+v, want closed", pj)
	}
}

func TestDriverDeliveryFailure(t *testing.T) {
	n, r, nwk := joinLight(t)
	tests := []struct {
		status uint8
		name   string
	}{
		{0xE9, "MAC_NO_ACK"},
		{0xCD, "NWK_NO_ROUTE"},
		{0xE1, "MAC_CHANNEL_ACCESS_FAILURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := n.FailConfirms(t.Context(), tt.status); err != nil {
				t.Fatal(err)
			}
			err := r.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Cluster: 6, Payload: []byte{0x01, 0x01, 0x02}})
			var se *zigbee.StatusError
			if !errors.Is(err, zigbee.ErrDeliveryFailed) || !errors.As(err, &se) || se.Code != tt.status || se.Name != tt.name {
				t.Fatalf("err = %v, want a delivery failure %s", err, tt.name)
			}
		})
	}
	// The next send works again.
	if err := r.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Cluster: 6, Payload: []byte{0x01, 0x02, 0x02}}); err != nil {
		t.Fatal(err)
	}
}

func TestDriverUnplugReplugResumes(t *testing.T) {
	n, r, nwk := joinLight(t)
	before, _ := r.d.Info()
	if err := n.Unplug(t.Context()); err != nil {
		t.Fatal(err)
	}
	down := next[zigbee.NetworkDown](t, r)
	if !errors.Is(down.Err, zigbee.ErrNetworkDown) {
		t.Errorf("NetworkDown.Err = %v, want ErrNetworkDown", down.Err)
	}
	err := r.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Cluster: 6, Payload: []byte{1, 1, 1}})
	if !errors.Is(err, zigbee.ErrNetworkDown) {
		t.Errorf("Send while unplugged: %v, want ErrNetworkDown", err)
	}
	if err := n.Replug(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := next[zigbee.NetworkUp](t, r).Info
	if after.Formed || after.PANID != before.PANID || after.ExtPANID != before.ExtPANID || after.Channel != before.Channel {
		t.Errorf("after replug %+v, want %+v resumed", after, before)
	}
	if err := r.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Cluster: 6, Payload: []byte{1, 2, 1}}); err != nil {
		t.Errorf("Send after replug: %v", err)
	}
	if s := r.d.Stats(); s.FramesRX == 0 || s.FramesTX == 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestDriverWatchdogResetRecovers(t *testing.T) {
	n := newSim(t, "")
	r := startDriver(t, simConfig(n))
	before := next[zigbee.NetworkUp](t, r).Info
	if err := n.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	down := next[zigbee.NetworkDown](t, r)
	if !errors.Is(down.Err, zigbee.ErrCoordinatorReset) {
		t.Errorf("NetworkDown.Err = %v, want ErrCoordinatorReset", down.Err)
	}
	after := next[zigbee.NetworkUp](t, r).Info
	if after.Formed || after.PANID != before.PANID {
		t.Errorf("after reset %+v, want %+v resumed", after, before)
	}
	if s := r.d.Stats(); s.Resets != 1 {
		t.Errorf("stats %+v, want one unexpected reset", s)
	}
}

func TestDriverBackupRestore(t *testing.T) {
	_, r, nwk := joinLight(t)
	orig, _ := r.d.Info()
	b, err := r.d.Backup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Devices) != 1 || zigbee.IEEE(b.Devices[0].IEEE) != lightIEEE || zigbee.NWK(b.Devices[0].NWK) != nwk {
		t.Fatalf("backup devices %+v, want the light at %v", b.Devices, nwk)
	}
	if b.Devices[0].LinkKey == nil {
		t.Errorf("backup has no link key for the light")
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	r.stop()

	// A blank dongle: the driver forms a throw-away network, then restores.
	blank := newSim(t, "")
	r2 := startDriver(t, simConfig(blank))
	if formed := next[zigbee.NetworkUp](t, r2).Info; formed.PANID == orig.PANID {
		t.Fatalf("the blank dongle formed the original PAN id by chance")
	}
	if err := r2.d.Restore(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	next[zigbee.NetworkDown](t, r2)
	got := next[zigbee.NetworkUp](t, r2).Info
	if got.PANID != orig.PANID || got.ExtPANID != orig.ExtPANID || got.Channel != orig.Channel || got.IEEE != orig.IEEE {
		t.Errorf("restored network %+v, want %+v", got, orig)
	}
	b2, err := r2.d.Backup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b2.Key() != b.Key() || b2.NetworkKey.SequenceNumber != b.NetworkKey.SequenceNumber {
		t.Errorf("restored key differs")
	}
	if b2.NetworkKey.FrameCounter < b.NetworkKey.FrameCounter+zigbee.FrameCounterMargin {
		t.Errorf("frame counter %d, want ≥ %d + margin", b2.NetworkKey.FrameCounter, b.NetworkKey.FrameCounter)
	}
	if len(b2.Devices) != 1 || b2.Devices[0].IEEE != b.Devices[0].IEEE || b2.Devices[0].NWK != b.Devices[0].NWK {
		t.Errorf("restored devices %+v, want %+v", b2.Devices, b.Devices)
	} else if lk, lk2 := b.Devices[0].LinkKey, b2.Devices[0].LinkKey; lk != nil && (lk2 == nil || lk2.Key != lk.Key) {
		t.Errorf("restored link key %+v, want %+v", lk2, lk)
	}
	ci, err := blank.Coordinator(t.Context())
	if err != nil || ci.PANID != orig.PANID || ci.State != 9 {
		t.Errorf("sim after restore: %+v %v", ci, err)
	}
	if err := r2.d.Restore(t.Context(), &zigbee.Backup{}); !errors.Is(err, zigbee.ErrBadBackup) {
		t.Errorf("restoring an empty backup: %v, want ErrBadBackup", err)
	}
}

func TestDriverRestoresBackupFileOnBlankDongle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "coordinator_backup.json")
	n := newSim(t, "")
	r := startDriver(t, znp.Config{Open: n.OpenZNP, BackupPath: path})
	orig := next[zigbee.NetworkUp](t, r).Info
	r.stop()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no backup file after forming: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600", fi.Mode().Perm())
	}

	blank := newSim(t, "")
	r2 := startDriver(t, znp.Config{Open: blank.OpenZNP, BackupPath: path})
	got := next[zigbee.NetworkUp](t, r2).Info
	if got.Formed || got.PANID != orig.PANID || got.ExtPANID != orig.ExtPANID {
		t.Errorf("on a blank dongle with a backup file: %+v, want %+v restored", got, orig)
	}
}

func TestDriverRetriesMissingPort(t *testing.T) {
	n := newSim(t, "")
	var plugged atomic.Bool
	open := func(ctx context.Context) (io.ReadWriteCloser, error) {
		if !plugged.Load() {
			return nil, &zigbee.PortError{Path: "/dev/ttyUSB9", Err: zigbee.ErrPortNotFound, Hint: "is the dongle plugged in?"}
		}
		return n.OpenZNP(ctx)
	}
	r := startDriver(t, znp.Config{Open: open, ReconnectDelay: time.Millisecond, MaxReconnectDelay: 5 * time.Millisecond})
	down := next[zigbee.NetworkDown](t, r)
	var pe *zigbee.PortError
	if !errors.As(down.Err, &pe) || !errors.Is(down.Err, zigbee.ErrPortNotFound) {
		t.Fatalf("NetworkDown.Err = %v, want the PortError", down.Err)
	}
	if _, up := r.d.Info(); up {
		t.Errorf("Info says up without a port")
	}
	plugged.Store(true)
	next[zigbee.NetworkUp](t, r)
}

// fakeStick answers SYS_PING and SYS_VERSION like a Z-Stack Home 1.2 CC2531.
func fakeStick(t *testing.T) io.ReadWriteCloser {
	host, dev := net.Pipe()
	go func() {
		defer dev.Close()
		sc := bufio.NewScanner(dev)
		sc.Split(znp.SplitFrames)
		for sc.Scan() {
			f, err := znp.ParseFrame(sc.Bytes())
			if err != nil {
				return
			}
			var rsp []byte
			switch f.Header {
			case znp.SysPing.RequestHeader():
				rsp = []byte{0x79, 0x01}
			case znp.SysVersion.RequestHeader():
				rsp = []byte{0x02, 0x00, 0x02, 0x06, 0x03}
			default:
				continue
			}
			b, _ := znp.AppendFrame(nil, znp.Frame{Header: znp.Header{Type: znp.SRSP, Subsystem: f.Subsystem, ID: f.ID}, Payload: rsp})
			if _, err := dev.Write(b); err != nil {
				return
			}
		}
	}()
	return host
}

func TestDriverRefusesZStack12(t *testing.T) {
	open := func(context.Context) (io.ReadWriteCloser, error) { return fakeStick(t), nil }
	r := startDriver(t, znp.Config{Open: open, ReconnectDelay: time.Hour})
	down := next[zigbee.NetworkDown](t, r)
	if !errors.Is(down.Err, zigbee.ErrUnsupported) || !errors.Is(down.Err, znp.ErrUnsupportedFirmware) {
		t.Errorf("NetworkDown.Err = %v, want ErrUnsupportedFirmware", down.Err)
	}
}

func TestDriverThroughPTY(t *testing.T) {
	n := newSim(t, "", sim.DeviceSpec{Kind: sim.KindLight, IEEE: lightIEEE})
	path := filepath.Join(t.TempDir(), "ttyZNP")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.ServePTY(ctx, path) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServePTY: %v", err)
		}
	})
	open := func(ctx context.Context) (io.ReadWriteCloser, error) {
		return zigbee.OpenPort(ctx, zigbee.PortConfig{Path: path})
	}
	r := startDriver(t, znp.Config{Open: open, ReconnectDelay: 10 * time.Millisecond})
	info := next[zigbee.NetworkUp](t, r).Info
	if !info.Formed {
		t.Errorf("the pty dongle was not formed")
	}
	if err := r.d.PermitJoin(t.Context(), 30*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.Press(t.Context(), lightIEEE); err != nil {
		t.Fatal(err)
	}
	ann := next[zigbee.DeviceAnnounced](t, r)
	if err := r.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(ann.NWK), DstEndpoint: 1, Cluster: 6, Payload: []byte{0x01, 0x01, 0x01}}); err != nil {
		t.Fatal(err)
	}
	if s := r.d.Stats(); s.GarbageBytes != 0 || s.BadFCS != 0 {
		t.Errorf("stats over the pty: %+v", s)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	open := func(context.Context) (io.ReadWriteCloser, error) { return nil, errors.New("unused") }
	tests := []struct {
		name string
		cfg  znp.Config
	}{
		{"no Open", znp.Config{}},
		{"channel 27", znp.Config{Open: open, Network: zigbee.NetworkConfig{Channel: 27}}},
		{"PAN id 0xFFFF", znp.Config{Open: open, Network: zigbee.NetworkConfig{PANID: 0xFFFF}}},
		{"well-known key", znp.Config{Open: open, Network: zigbee.NetworkConfig{Key: zigbee.WellKnownNetworkKeys[0]}}},
		{"key and generate", znp.Config{Open: open, Network: zigbee.NetworkConfig{Key: zigbee.NetworkKey{1}, GenerateKey: true}}},
		{"endpoint 0", znp.Config{Open: open, Endpoints: []znp.EndpointConfig{{Endpoint: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := znp.New(tt.cfg); !errors.Is(err, znp.ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
	d, err := znp.New(znp.Config{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ZDORequest(t.Context(), 0, 5, []byte{1, 0, 0}); !errors.Is(err, zigbee.ErrNotRunning) {
		t.Errorf("ZDORequest before Run: %v, want ErrNotRunning", err)
	}
	if err := d.Send(t.Context(), zigbee.APSFrame{}); !errors.Is(err, zigbee.ErrNotRunning) {
		t.Errorf("Send before Run: %v, want ErrNotRunning", err)
	}
}

// BenchmarkPing measures one SREQ/SRSP round trip (SYS_PING) through the
// driver's connection to the in-process sim.
func BenchmarkPing(b *testing.B) {
	n := newSim(b, "")
	r := startDriver(b, simConfig(n))
	next[zigbee.NetworkUp](b, r)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.d.PingForTest(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures Send to a joined light: AF_DATA_REQUEST, its SRSP
// and the AF_DATA_CONFIRM (ZCL On with the default response disabled, so
// the light stays silent).
func BenchmarkSend(b *testing.B) {
	_, r, nwk := joinLight(b)
	go func() {
		for range r.d.Events() {
		}
	}()
	f := zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Profile: zigbee.ProfileHA, Cluster: 0x0006,
		Payload: []byte{0x11, 0x01, 0x01}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.d.Send(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// stuckStick wraps a link to the sim: it swallows the first drop SYS_PING
// frames (a chip still in its bootloader), records raw bytes that are not
// frames, and records DTR/RTS changes like a serial port.
type stuckStick struct {
	io.ReadWriteCloser
	drop  int
	raw   bytes.Buffer
	lines []string
}

func (s *stuckStick) Write(p []byte) (int, error) {
	if f, err := znp.ParseFrame(p); err == nil && f.Header == znp.SysPing.RequestHeader() && s.drop > 0 {
		s.drop--
		return len(p), nil
	} else if err != nil {
		s.raw.Write(p)
		return len(p), nil
	}
	return s.ReadWriteCloser.Write(p)
}

func (s *stuckStick) SetDTR(on bool) error {
	s.lines = append(s.lines, fmt.Sprintf("DTR=%v", on))
	return nil
}
func (s *stuckStick) SetRTS(on bool) error {
	s.lines = append(s.lines, fmt.Sprintf("RTS=%v", on))
	return nil
}

func TestDriverSkipsBootloader(t *testing.T) {
	tests := []struct {
		name      string
		drop      int
		wantLines []string
	}{
		{"answers after the skip byte", 1, nil},
		{"answers after a DTR/RTS reset pulse", 2,
			[]string{"DTR=false", "RTS=false", "DTR=false", "RTS=true", "DTR=false", "RTS=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newSim(t, "")
			stick := make(chan *stuckStick, 1)
			open := func(ctx context.Context) (io.ReadWriteCloser, error) {
				c, err := n.OpenZNP(ctx)
				if err != nil {
					return nil, err
				}
				s := &stuckStick{ReadWriteCloser: c, drop: tt.drop}
				stick <- s
				return s, nil
			}
			r := startDriver(t, znp.Config{Open: open, ProbeTimeout: 20 * time.Millisecond, BootloaderDelay: time.Millisecond})
			next[zigbee.NetworkUp](t, r)
			s := <-stick
			r.stop()
			if !bytes.Equal(s.raw.Bytes(), []byte{0xEF}) {
				t.Errorf("raw bytes % X, want the EF skip byte", s.raw.Bytes())
			}
			if fmt.Sprint(s.lines) != fmt.Sprint(tt.wantLines) {
				t.Errorf("modem lines %v, want %v", s.lines, tt.wantLines)
			}
		})
	}
}
