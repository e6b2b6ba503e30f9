package ezsp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// guard bounds waits for events that must come; a hang guard, not a timing
// assertion.
const guard = 20 * time.Second

var versions = []uint8{13, 14}

func simConfig(dir string) sim.Config {
	return sim.Config{
		StatePath:    filepath.Join(dir, "ncp.json"),
		ConfirmDelay: time.Millisecond,
		DeviceDelay:  2 * time.Millisecond,
		ResetDelay:   5 * time.Millisecond,
		Seed:         3,
	}
}

func startSim(t *testing.T, cfg sim.Config, version uint8) *sim.Network {
	t.Helper()
	n, err := sim.NewEZSP(cfg, sim.EZSPConfig{Version: version})
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

// harness runs a driver and records its events.
type harness struct {
	t      *testing.T
	d      *ezsp.Driver
	mu     sync.Mutex
	events []zigbee.Event
	signal chan struct{}
	stop   func()
}

var testKey = zigbee.NetworkKey{0x31, 0x41, 0x59, 0x26, 0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83, 0x27, 0x95}

func driverConfig(n *sim.Network, dir string) ezsp.Config {
	return ezsp.Config{
		Open:       n.OpenEZSP,
		Network:    zigbee.NetworkConfig{Channel: 15, PANID: 0x1A62, ExtPANID: 0xDDDDDDDDDDDDDDDE, Key: testKey},
		BackupPath: filepath.Join(dir, "backup.json"),
		ASH: ash.Config{AckTimeInit: 100 * time.Millisecond, AckTimeMin: 50 * time.Millisecond,
			AckTimeMax: 400 * time.Millisecond, ResetTimeout: 2 * time.Second},
		ConfirmTimeout: 5 * time.Second, ZDOTimeout: 5 * time.Second,
		ReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond,
	}
}

func startDriver(t *testing.T, cfg ezsp.Config) *harness {
	t.Helper()
	d, err := ezsp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, d: d, signal: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(ctx) }()
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for ev := range d.Events() {
			h.mu.Lock()
			h.events = append(h.events, ev)
			h.mu.Unlock()
			select {
			case h.signal <- struct{}{}:
			default:
			}
		}
	}()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-runDone; err != nil {
				t.Errorf("Run: %v", err)
			}
			<-collected
		})
	}
	t.Cleanup(h.stop)
	return h
}

// waitEvent returns the first event after index from that matches, and
// the index after it.
func waitEvent[T zigbee.Event](h *harness, from int, match func(T) bool) (T, int) {
	h.t.Helper()
	deadline := time.NewTimer(guard)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		for i := from; i < len(h.events); i++ {
			if e, ok := h.events[i].(T); ok && (match == nil || match(e)) {
				h.mu.Unlock()
				return e, i + 1
			}
		}
		n := len(h.events)
		h.mu.Unlock()
		from = max(from, n)
		select {
		case <-h.signal:
		case <-deadline.C:
			var zero T
			h.t.Fatalf("no %T event", zero)
			return zero, 0
		}
	}
}

func (h *harness) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

func up(h *harness, from int) (zigbee.NetworkInfo, int) {
	h.t.Helper()
	e, i := waitEvent[zigbee.NetworkUp](h, from, nil)
	return e.Info, i
}

// joinLight adds a light, opens the network and waits for it to announce.
func joinLight(t *testing.T, n *sim.Network, h *harness) (zigbee.IEEE, zigbee.NWK) {
	t.Helper()
	ieee, err := n.AddDevice(t.Context(), sim.DeviceSpec{Kind: sim.KindLight})
	if err != nil {
		t.Fatal(err)
	}
	from := h.mark()
	if err := h.d.PermitJoin(t.Context(), time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	if err := n.Press(t.Context(), ieee); err != nil {
		t.Fatal(err)
	}
	j, _ := waitEvent(h, from, func(e zigbee.DeviceJoined) bool { return e.IEEE == ieee })
	a, _ := waitEvent(h, from, func(e zigbee.DeviceAnnounced) bool { return e.IEEE == ieee })
	if a.NWK != j.NWK {
		t.Fatalf("joined as %v, announced as %v", j.NWK, a.NWK)
	}
	return ieee, j.NWK
}

func onOff(nwk zigbee.NWK, on bool, tsn uint8) zigbee.APSFrame {
	cmd := byte(0)
	if on {
		cmd = 1
	}
	return zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Profile: zigbee.ProfileHA, Cluster: 6,
		Options: zigbee.TxAckRequest, Payload: []byte{0x01, tsn, cmd}}
}

// lightIsOn reads the light's state through ZCL Read Attributes.
func lightIsOn(t *testing.T, h *harness, nwk zigbee.NWK, tsn uint8) bool {
	t.Helper()
	from := h.mark()
	if err := h.d.Send(t.Context(), zigbee.APSFrame{Dst: zigbee.Unicast(nwk), DstEndpoint: 1, Profile: zigbee.ProfileHA,
		Cluster: 6, Options: zigbee.TxAckRequest, Payload: []byte{0x00, tsn, 0x00, 0x00, 0x00}}); err != nil {
		t.Fatalf("read attributes: %v", err)
	}
	m, _ := waitEvent(h, from, func(e zigbee.MessageReceived) bool {
		p := e.Message.Payload
		return e.Message.Src == nwk && e.Message.Cluster == 6 && len(p) >= 8 && p[1] == tsn && p[2] == 0x01
	})
	p := m.Message.Payload
	return p[len(p)-1] == 1
}

func TestFormResumeJoinZCL(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			dir := t.TempDir()
			n := startSim(t, simConfig(dir), v)
			h := startDriver(t, driverConfig(n, dir))
			info, _ := up(h, 0)
			if !info.Formed || info.Channel != 15 || info.PANID != 0x1A62 || info.ExtPANID != 0xDDDDDDDDDDDDDDDE {
				t.Fatalf("formed network %+v", info)
			}
			if info.Firmware.Stack != "ember" || info.Firmware.Protocol != fmt.Sprintf("EZSP v%d", v) {
				t.Fatalf("firmware %+v", info.Firmware)
			}
			if _, err := os.Stat(filepath.Join(dir, "backup.json")); err != nil {
				t.Fatalf("backup file: %v", err)
			}
			ieee, nwk := joinLight(t, n, h)

			// ZDO round trip.
			rsp, err := h.d.ZDORequest(t.Context(), nwk, 0x0005, []byte{0x42, byte(nwk), byte(nwk >> 8)})
			if err != nil {
				t.Fatal(err)
			}
			if len(rsp) < 6 || rsp[0] != 0x42 || rsp[1] != 0 || rsp[4] != 1 || rsp[5] != 1 {
				t.Fatalf("Active_EP_rsp % X", rsp)
			}
			// ZCL round trip.
			if err := h.d.Send(t.Context(), onOff(nwk, true, 7)); err != nil {
				t.Fatal(err)
			}
			if !lightIsOn(t, h, nwk, 8) {
				t.Fatal("the light did not switch on")
			}
			// Restart: the network is resumed, not formed again, and the
			// light is still reachable.
			h.stop()
			h = startDriver(t, driverConfig(n, dir))
			info2, _ := up(h, 0)
			if info2.Formed || info2.PANID != info.PANID || info2.IEEE != info.IEEE {
				t.Fatalf("after restart %+v, before %+v", info2, info)
			}
			if err := h.d.Send(t.Context(), onOff(nwk, false, 9)); err != nil {
				t.Fatal(err)
			}
			if lightIsOn(t, h, nwk, 10) {
				t.Fatal("the light did not switch off")
			}
			dev, err := n.Device(t.Context(), ieee)
			if err != nil || !dev.Joined {
				t.Fatalf("device %+v, %v", dev, err)
			}
		})
	}
}

func TestConfigMismatchReforms(t *testing.T) {
	dir := t.TempDir()
	n := startSim(t, simConfig(dir), 14)
	h := startDriver(t, driverConfig(n, dir))
	info, _ := up(h, 0)
	h.stop()
	cfg := driverConfig(n, dir)
	cfg.Network.PANID = 0x2B2B
	cfg.BackupPath = ""
	h = startDriver(t, cfg)
	info2, _ := up(h, 0)
	if !info2.Formed || info2.PANID != 0x2B2B || info.PANID == info2.PANID {
		t.Fatalf("after a PAN id change: %+v", info2)
	}
}

func TestBackupRestoreOntoBlankNCP(t *testing.T) {
	for _, v := range versions {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			dir := t.TempDir()
			n := startSim(t, simConfig(dir), v)
			h := startDriver(t, driverConfig(n, dir))
			up(h, 0)
			_, nwk := joinLight(t, n, h)
			for i := range 5 {
				if err := h.d.Send(t.Context(), onOff(nwk, i%2 == 0, uint8(20+i))); err != nil {
					t.Fatal(err)
				}
			}
			b, err := h.d.Backup(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if b.Key() != testKey || b.NetworkKey.FrameCounter < 5 || b.SecurityLevel != 5 || len(b.StackSpecific["ezsp"]) == 0 {
				t.Fatalf("backup %+v", b)
			}
			if len(b.Devices) != 0 {
				t.Fatalf("a router is not a child: %+v", b.Devices)
			}
			h.stop()

			// A blank stick, a different network in the configuration: the
			// driver forms, then Restore writes the backup.
			dir2 := t.TempDir()
			n2 := startSim(t, simConfig(dir2), v)
			cfg := driverConfig(n2, dir2)
			cfg.Network = zigbee.NetworkConfig{Channel: 20, GenerateKey: true}
			h2 := startDriver(t, cfg)
			_, at := up(h2, 0)
			if err := h2.d.Restore(t.Context(), b); err != nil {
				t.Fatal(err)
			}
			waitEvent(h2, at, func(e zigbee.NetworkDown) bool { return true })
			info, _ := up(h2, at)
			if info.PANID != zigbee.PANID(b.PANID) || info.ExtPANID != zigbee.ExtPANID(b.ExtPANID) || info.Channel != b.Channel {
				t.Fatalf("restored network %+v from %+v", info, b)
			}
			b2, err := h2.d.Backup(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if b2.Key() != b.Key() || b2.NetworkKey.FrameCounter < b.NetworkKey.FrameCounter+zigbee.FrameCounterMargin ||
				string(b2.StackSpecific["ezsp"]) != string(b.StackSpecific["ezsp"]) {
				t.Fatalf("restored backup %+v\noriginal %+v", b2, b)
			}

			// A blank stick with a matching backup file restores at start.
			dir3 := t.TempDir()
			n3 := startSim(t, simConfig(dir3), v)
			data, err := os.ReadFile(filepath.Join(dir, "backup.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir3, "backup.json"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			h3 := startDriver(t, driverConfig(n3, dir3))
			info3, _ := up(h3, 0)
			if info3.Formed || info3.PANID != zigbee.PANID(b.PANID) {
				t.Fatalf("start from backup file %+v", info3)
			}
		})
	}
}

func TestPermitJoinEvents(t *testing.T) {
	dir := t.TempDir()
	n := startSim(t, simConfig(dir), 13)
	h := startDriver(t, driverConfig(n, dir))
	_, at := up(h, 0)
	if err := h.d.PermitJoin(t.Context(), 30*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	e, at := waitEvent(h, at, func(e zigbee.PermitJoinChanged) bool { return e.Open })
	if e.Duration != 30*time.Second {
		t.Fatalf("event %+v", e)
	}
	ci, err := n.Coordinator(t.Context())
	if err != nil || !ci.PermitJoin {
		t.Fatalf("coordinator %+v, %v", ci, err)
	}
	if err := h.d.PermitJoin(t.Context(), 0, 0); err != nil {
		t.Fatal(err)
	}
	waitEvent(h, at, func(e zigbee.PermitJoinChanged) bool { return !e.Open })
	if ci, _ := n.Coordinator(t.Context()); ci.PermitJoin {
		t.Fatal("permit join still open")
	}
}

func TestNotRunning(t *testing.T) {
	d, err := ezsp.New(ezsp.Config{Open: func(context.Context) (ioRWC, error) { return nil, errors.New("unused") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Send(t.Context(), onOff(1, true, 1)); !errors.Is(err, zigbee.ErrNotRunning) {
		t.Fatalf("Send: %v", err)
	}
	if _, err := d.Backup(t.Context()); !errors.Is(err, zigbee.ErrNotRunning) {
		t.Fatalf("Backup: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	open := func(context.Context) (ioRWC, error) { return nil, errors.New("unused") }
	tests := []struct {
		name string
		cfg  ezsp.Config
	}{
		{"no_open", ezsp.Config{}},
		{"bad_channel", ezsp.Config{Open: open, Network: zigbee.NetworkConfig{Channel: 27}}},
		{"reserved_pan", ezsp.Config{Open: open, Network: zigbee.NetworkConfig{PANID: 0xFFFF}}},
		{"well_known_key", ezsp.Config{Open: open, Network: zigbee.NetworkConfig{Key: zigbee.WellKnownNetworkKeys[0]}}},
		{"key_and_generate", ezsp.Config{Open: open, Network: zigbee.NetworkConfig{Key: testKey, GenerateKey: true}}},
		{"endpoint_zero", ezsp.Config{Open: open, Endpoints: []ezsp.EndpointConfig{{Endpoint: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ezsp.New(tt.cfg); !errors.Is(err, ezsp.ErrConfig) {
				t.Fatalf("err %v", err)
			}
		})
	}
}

type ioRWC = io.ReadWriteCloser
