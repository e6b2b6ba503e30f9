package sim

import (
	"container/heap"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/zigbee/znp"
)

// hostVectors returns every host→ZNP frame of the shared vectors.
func hostVectors(t testing.TB) [][]byte {
	files, _ := filepath.Glob("../../../shared/protocol/vectors/znp/*.json")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var es []struct {
			Hex       string `json:"hex"`
			Direction string `json:"direction"`
		}
		if err := json.Unmarshal(b, &es); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range es {
			if e.Direction != "host_to_znp" {
				continue
			}
			raw, err := hex.DecodeString(strings.ReplaceAll(e.Hex, "|", ""))
			if err == nil {
				out = append(out, raw)
			}
		}
	}
	return out
}

// fuzzNet is a network driven synchronously (no Run loop): the fuzz
// goroutine plays the loop, captures the output and fires timers itself.
func fuzzNet(t testing.TB) *Network {
	n, err := New(Config{Seed: 7, Devices: DefaultDevices()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzSREQ feeds arbitrary requests to the firmware: it must never panic,
// must answer every SREQ with exactly one SRSP of the same command (or the
// RPC error), and the timers it schedules must run without panicking.
func FuzzSREQ(f *testing.F) {
	for _, v := range hostVectors(f) {
		if fr, err := znp.ParseFrame(v); err == nil {
			f.Add(fr.Cmd0(), fr.ID, fr.Payload)
		}
	}
	// A started network with a joined light makes the device paths reachable.
	f.Add(byte(0x2F), byte(0x05), []byte{0x04})
	f.Fuzz(func(t *testing.T, cmd0, id byte, payload []byte) {
		if len(payload) > znp.MaxPayload {
			return
		}
		n := fuzzNet(t)
		n.booting = false
		var held [][]byte
		n.holding = &held
		run := func(fr znp.Frame) {
			n.process(fr)
			for i := 0; i < 200 && len(n.timers) > 0; i++ {
				heap.Pop(&n.timers).(*timerEntry).fn()
			}
		}
		// Bring the network up and let every device join first.
		run(znp.Frame{Header: hdr(znp.SREQ, znp.APPCNF, 0x05), Payload: []byte{0x04}})
		n.nv.set(nvZDODirectCB, []byte{1})
		for _, d := range n.devices {
			d.pressed = true
		}
		n.permit(0xFF)
		run(znp.Frame{Header: hdr(znp.SREQ, znp.SYS, 0x01)})
		held = held[:0]
		fr := znp.Frame{Header: znp.HeaderFromCmd(cmd0, id), Payload: payload}
		run(fr)
		if fr.Type != znp.SREQ {
			return
		}
		var srsp int
		for _, b := range held {
			g, err := znp.ParseFrame(b)
			if err != nil {
				t.Fatalf("sim emitted an invalid frame % X: %v", b, err)
			}
			if g.Type == znp.SRSP {
				srsp++
				if g.Subsystem != znp.RPCError && (g.Subsystem != fr.Subsystem || g.ID != fr.ID) {
					t.Fatalf("SRSP %v for request %v", g.Header, fr.Header)
				}
			}
		}
		if srsp != 1 {
			t.Fatalf("request %v got %d SRSPs", fr.Header, srsp)
		}
	})
}

// FuzzDeviceZCL sends arbitrary ZCL frames to every virtual device.
func FuzzDeviceZCL(f *testing.F) {
	f.Add(uint16(0x0006), []byte{0x01, 0x07, 0x01})
	f.Add(uint16(0x0000), []byte{0x10, 0x09, 0x00, 0x05, 0x00})
	f.Add(uint16(0x0006), []byte{0x10, 0x01, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x10, 0x0E})
	f.Add(uint16(0x0402), []byte{0x10, 0x01, 0x06, 0x00, 0x00, 0x00, 0x29, 0x0A, 0x00, 0x10, 0x0E, 0x0A, 0x00})
	f.Add(uint16(0x0500), []byte{0x10, 0x01, 0x02, 0x10, 0x00, 0xF0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint16(0x0004), []byte{0x11, 0x01, 0x00, 0x34, 0x12, 0x00})
	f.Add(uint16(0x0300), []byte{0x11, 0x01, 0x0A, 0x70, 0x01, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, cluster uint16, data []byte) {
		n := fuzzNet(t)
		for _, d := range n.devices {
			for _, e := range d.eps {
				n.deviceZCL(d, e, 1, cluster, data, false)
			}
		}
	})
}

// FuzzStateFile loads arbitrary state files: no panic, and a state that
// loads saves and reloads to the same JSON.
func FuzzStateFile(f *testing.F) {
	n := fuzzNet(f)
	n.cfg.StatePath = filepath.Join(f.TempDir(), "s.json")
	if err := n.save(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(n.cfg.StatePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"hardware_ieee":"0x1","nv":{"legacy":{"0x21":"zz"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		n, err := New(Config{StatePath: path, Seed: 1})
		if err != nil {
			return
		}
		first, _ := os.ReadFile(path)
		if err := n.save(); err != nil {
			t.Fatal(err)
		}
		second, _ := os.ReadFile(path)
		if string(first) != string(second) {
			t.Fatalf("state changed on re-save:\n%s\n%s", first, second)
		}
	})
}
