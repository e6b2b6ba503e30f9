package sim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// runningNet is a network formed and started by a herdsman-like host, with
// the returned host still attached.
func runningNet(t *testing.T, cfg Config) (*Network, *host) {
	t.Helper()
	n := startNet(t, cfg)
	h := openHost(t, n)
	herdsmanStart(t, h, testNet)
	return n, h
}

func TestPersistenceAcrossRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices = []DeviceSpec{{Kind: KindLight, IEEE: 0x00124b0000000042}}
	n1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n1.Run(ctx) }()
	rw, err := n1.OpenZNP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, rw)
	herdsmanStart(t, h, testNet)
	h.status(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 60, 1}, 0)
	if err := n1.Press(ctx, 0x00124b0000000042); err != nil {
		t.Fatal(err)
	}
	nwk, err := n1.WaitJoined(ctx, 0x00124b0000000042)
	if err != nil {
		t.Fatal(err)
	}
	nibBefore := h.nvRead(0x0021)
	keyBefore := h.nvRead(0x003A)
	ieeeBefore := h.request(znp.SYS, 0x04, nil)
	rw.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	n2 := startNet(t, cfg)
	h2 := openHost(t, n2)
	if di := h2.request(znp.UTIL, 0x00, nil); di[12] != 0 {
		t.Fatalf("restarted dongle in state %d, want 0 (HOLD)", di[12])
	}
	if !bytes.Equal(h2.nvRead(0x0021), nibBefore) || !bytes.Equal(h2.nvRead(0x003A), keyBefore) ||
		!bytes.Equal(h2.request(znp.SYS, 0x04, nil), ieeeBefore) {
		t.Fatal("NV changed across restart")
	}
	if got := herdsmanStart(t, h2, testNet); got != "resumed" {
		t.Fatalf("start after restart: %s, want resumed", got)
	}
	d, err := n2.Device(t.Context(), 0x00124b0000000042)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Joined || d.NWK != nwk {
		t.Fatalf("device after restart: joined=%v nwk=%v, want joined at %v", d.Joined, d.NWK, nwk)
	}
	// The address manager table lists it (herdsman's backup source).
	found := false
	for i := range 64 {
		var b buf
		b.u8(1).u16(1).u16(uint16(i))
		if l := h2.request(znp.SYS, 0x32, b); binary.LittleEndian.Uint32(l) == 0 {
			t.Fatalf("ADDRMGR subId %d missing: the table must end only at length 0", i)
		}
		p := h2.request(znp.SYS, 0x33, append(b, 0, 0, 12))
		if p[0] == 0 && binary.LittleEndian.Uint64(p[6:]) == 0x00124b0000000042 && p[2] == 0x03 {
			found = true
		}
	}
	var b buf
	if l := h2.request(znp.SYS, 0x32, *b.u8(1).u16(1).u16(64)); binary.LittleEndian.Uint32(l) != 0 {
		t.Fatal("ADDRMGR subId 64 exists; the backup loop would not end")
	}
	if !found {
		t.Fatal("joined device not in the address manager table")
	}
}

func TestFactoryNewNV(t *testing.T) {
	n := startNet(t, testConfig(t))
	h := openHost(t, n)
	for _, tc := range []struct {
		name string
		req  string
		want string
	}{
		{"length of missing NIB", "FE022113210011", "FE026113000070"},
		{"read of missing item", "FE04211C2100000018", "FE02611C02007D"},
		{"NWKKEY length 24 (aligned)", "FE0221138200B2", "FE026113180068"},
		{"unknown command", hexFrame(znp.SREQ, znp.SYS, 0x0D, nil), hexFrame(znp.SRSP, znp.RPCError, 0, []byte{2, 0x21, 0x0D})},
		{"unknown subsystem (SAPI is not in this image)", hexFrame(znp.SREQ, znp.SAPI, 0x07, nil), hexFrame(znp.SRSP, znp.RPCError, 0, []byte{1, 0x26, 0x07})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.write(mustFrame(t, tc.req))
			f := h.next()
			if got := frameBytes(f.Type, f.Subsystem, f.ID, f.Payload); !bytes.Equal(got, mustFrame(t, tc.want)) {
				t.Fatalf("answer %X, want %s", got, tc.want)
			}
		})
	}
	// ITEM_INIT: 0x09 when created, 0x00 when it already existed.
	h.status(znp.SYS, 0x07, []byte{0x60, 0x00, 0x01, 0x00, 0x01, 0x55}, 0x09)
	h.status(znp.SYS, 0x07, []byte{0x60, 0x00, 0x01, 0x00, 0x01, 0x00}, 0x00)
	if v := h.nvRead(0x0060); !bytes.Equal(v, []byte{0x55}) {
		t.Fatalf("item after second init: % X", v)
	}
	// Writes cannot grow an item; delete needs the exact length.
	h.status(znp.SYS, 0x1D, []byte{0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 1, 2}, 0x02)
	h.status(znp.SYS, 0x12, []byte{0x60, 0x00, 0x02, 0x00}, 0x0C)
	h.status(znp.SYS, 0x12, []byte{0x60, 0x00, 0x01, 0x00}, 0x00)
	h.status(znp.SYS, 0x12, []byte{0x60, 0x00, 0x01, 0x00}, 0x09)
	// Extended NV: missing → NOTFOUND, write at offset ≠ 0 → BADPARAM.
	if p := h.request(znp.SYS, 0x33, []byte{1, 0x09, 0, 0, 0, 0, 0, 4}); !bytes.Equal(p, []byte{0x0A, 0}) {
		t.Fatalf("ext read of missing item: % X", p)
	}
	h.status(znp.SYS, 0x34, []byte{1, 0x09, 0, 0, 0, 1, 0, 1, 7}, 0x04)
}

func TestGarbageTolerance(t *testing.T) {
	n := startNet(t, testConfig(t))
	h := openHost(t, n)
	var in []byte
	in = append(in, 0xEF, 0xEF, 0x00, 0xFE, 0xFF, 0x12) // bootloader bytes, a SOF with LEN 255
	in = append(in, mustFrame(t, "FE00210121")...)      // bad FCS
	in = append(in, mustFrame(t, "FE00210120")...)      // ping
	for _, b := range in {
		h.write([]byte{b}) // one byte per write, like a slow UART
	}
	f := h.next()
	if f.Header != hdr(znp.SRSP, znp.SYS, 0x01) {
		t.Fatalf("after garbage got %v, want ping SRSP", f)
	}
	// Two frames in one write are both answered, in order.
	h.write(append(mustFrame(t, "FE00210120"), mustFrame(t, "FE00210223")...))
	if f := h.next(); f.ID != 0x01 {
		t.Fatalf("first answer %v", f)
	}
	if f := h.next(); f.ID != 0x02 {
		t.Fatalf("second answer %v", f)
	}
}

func TestShortPayloadIsRPCLengthError(t *testing.T) {
	n := startNet(t, testConfig(t))
	h := openHost(t, n)
	h.write(mustFrame(t, "FE01211321")[:0]) // no-op
	h.send(znp.SYS, 0x13, []byte{0x21})     // OSAL_NV_LENGTH needs 2 bytes
	f := h.next()
	if f.Header != hdr(znp.SRSP, znp.RPCError, 0) || !bytes.Equal(f.Payload, []byte{4, 0x21, 0x13}) {
		t.Fatalf("got %v", f)
	}
}

// joinLight opens the network, presses a new light's button and returns it
// after its announce reached the host.
func joinDevice(t *testing.T, n *Network, h *host, kind Kind) (zigbee.IEEE, zigbee.NWK) {
	t.Helper()
	a, err := n.AddDevice(t.Context(), DeviceSpec{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	h.status(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 0xFE, 0x01}, 0)
	if err := n.Press(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	tc := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xCA))
	nwk := zigbee.NWK(binary.LittleEndian.Uint16(tc.Payload))
	if zigbee.IEEE(binary.LittleEndian.Uint64(tc.Payload[2:])) != a || binary.LittleEndian.Uint16(tc.Payload[10:]) != 0 {
		t.Fatalf("TC_DEV_IND % X for %v", tc.Payload, a)
	}
	an := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xC1))
	var want buf
	want.u16(uint16(nwk)).u16(uint16(nwk)).ieee(a)
	if !bytes.Equal(an.Payload[:12], want) {
		t.Fatalf("END_DEVICE_ANNCE_IND % X, want % X…", an.Payload, want)
	}
	return a, nwk
}

func TestPermitJoinAndAnnounce(t *testing.T) {
	n, h := runningNet(t, testConfig(t))
	// Permit join broadcast: SRSP, then the coordinator's own answer.
	h.status(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 0xFE, 0x01}, 0)
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xB6)); !bytes.Equal(f.Payload, []byte{0, 0, 0}) {
		t.Fatalf("MGMT_PERMIT_JOIN_RSP % X", f.Payload)
	}
	// A device whose button is not pressed does not join.
	a, _ := joinDevice(t, n, h, KindDimmable)
	d, err := n.Device(t.Context(), a)
	if err != nil || !d.Joined {
		t.Fatalf("device %+v err %v", d, err)
	}
	// Close, press another one: it joins only after permit join reopens.
	h.status(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 0x00, 0x01}, 0)
	b, _ := n.AddDevice(t.Context(), DeviceSpec{Kind: KindPlug})
	if err := n.Press(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	// Prove nothing happened: a request/response round trip after the
	// press, then check membership.
	h.request(znp.SYS, 0x01, nil)
	if err := n.call(t.Context(), func() {}); err != nil {
		t.Fatal(err)
	}
	if d, _ := n.Device(t.Context(), b); d.Joined {
		t.Fatal("device joined while permit join was closed")
	}
	h.status(znp.ZDO, 0x36, []byte{0x02, 0x00, 0x00, 10, 0x01}, 0)
	if _, err := n.WaitJoined(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	// The coordinator lists both children.
	di := h.request(znp.UTIL, 0x00, nil)
	if di[12] != 9 || di[13] != 2 {
		t.Fatalf("device info % X: want state 9 and 2 children", di)
	}
}

func TestPermitJoinExpiry(t *testing.T) {
	n, h := runningNet(t, testConfig(t))
	h.status(znp.ZDO, 0x36, []byte{0x02, 0x00, 0x00, 1, 0x01}, 0)
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xCB)); f.Payload[0] != 0 {
		t.Fatalf("PERMIT_JOIN_IND % X", f.Payload)
	}
	if ci, _ := n.Coordinator(t.Context()); ci.PermitJoin {
		t.Fatal("permit join still open after expiry")
	}
}

// interviewAndSwitch walks the interview of a light and switches it on.
func TestLightInterviewOnOffAndReport(t *testing.T) {
	n, h := runningNet(t, testConfig(t))
	a, nwk := joinDevice(t, n, h, KindLight)
	nw := le16(uint16(nwk))
	// Node descriptor: router, manufacturer code.
	h.status(znp.ZDO, 0x02, append(nw, nw...), 0)
	nd := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x82))
	if !bytes.Equal(nd.Payload[:5], append(append(nw, 0), nw...)) || nd.Payload[5]&0x07 != 1 || len(nd.Payload) != 18 {
		t.Fatalf("NODE_DESC_RSP % X", nd.Payload)
	}
	h.status(znp.ZDO, 0x05, append(nw, nw...), 0)
	if ae := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x85)); !bytes.Equal(ae.Payload[5:], []byte{1, 1}) {
		t.Fatalf("ACTIVE_EP_RSP % X", ae.Payload)
	}
	h.status(znp.ZDO, 0x04, append(append(nw, nw...), 1), 0)
	sd := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x84))
	if sd.Payload[6] != 1 || binary.LittleEndian.Uint16(sd.Payload[7:]) != 0x0104 {
		t.Fatalf("SIMPLE_DESC_RSP % X", sd.Payload)
	}
	// Basic modelId read (herdsman reads attributes one by one).
	var req buf
	req.bytes(nw).u8(1).u8(1).u16(0x0000).u8(0x20).u8(0).u8(30).u8(5).bytes([]byte{0x10, 0x09, 0x00, 0x05, 0x00})
	h.status(znp.AF, 0x01, req, 0)
	if c := h.waitFor(hdr(znp.AREQ, znp.AF, 0x80)); !bytes.Equal(c.Payload, []byte{0, 1, 0x20}) {
		t.Fatalf("DATA_CONFIRM % X", c.Payload)
	}
	in := h.waitFor(hdr(znp.AREQ, znp.AF, 0x81))
	zcl := in.Payload[17 : 17+int(in.Payload[16])]
	want := append([]byte{0x18, 0x09, 0x01, 0x05, 0x00, 0x00, 0x42, 8}, "ZBMINIL2"...)
	if !bytes.Equal(zcl, want) || binary.LittleEndian.Uint16(in.Payload[4:]) != uint16(nwk) {
		t.Fatalf("read response % X, want % X", in.Payload, want)
	}

	// On/Off "on" with a default response wanted (§12.2).
	req = nil
	req.bytes(nw).u8(1).u8(1).u16(0x0006).u8(0x15).u8(0).u8(30).u8(3).bytes([]byte{0x01, 0x07, 0x01})
	h.status(znp.AF, 0x01, req, 0)
	if c := h.waitFor(hdr(znp.AREQ, znp.AF, 0x80)); !bytes.Equal(c.Payload, []byte{0, 1, 0x15}) {
		t.Fatalf("DATA_CONFIRM % X", c.Payload)
	}
	// The light reports its new state (change-only reporting preset) and
	// answers with a default response.
	var sawReport, sawDefault bool
	for !sawReport || !sawDefault {
		f := h.waitFor(hdr(znp.AREQ, znp.AF, 0x81))
		z := f.Payload[17 : 17+int(f.Payload[16])]
		switch {
		case z[0] == 0x18 && z[2] == 0x0B:
			if !bytes.Equal(z, []byte{0x18, 0x07, 0x0B, 0x01, 0x00}) {
				t.Fatalf("default response % X", z)
			}
			sawDefault = true
		case z[0]&0x0B == 0x08 && z[2] == 0x0A:
			if !bytes.Equal(z[3:], []byte{0x00, 0x00, 0x10, 0x01}) {
				t.Fatalf("report % X", z)
			}
			sawReport = true
		}
	}
	if d, _ := n.Device(t.Context(), a); !d.OnOff {
		t.Fatal("light did not switch on")
	}
}

func TestDataConfirmStatuses(t *testing.T) {
	cfg := testConfig(t)
	n, h := runningNet(t, cfg)
	a, nwk := joinDevice(t, n, h, KindLight)
	send := func(dst zigbee.NWK, tid uint8) byte {
		var req buf
		req.u16(uint16(dst)).u8(1).u8(1).u16(0x0006).u8(tid).u8(0).u8(30).u8(3).bytes([]byte{0x11, 0x01, 0x02})
		h.status(znp.AF, 0x01, req, 0)
		c := h.waitMatch(func(f znp.Frame) bool { return f.Header == hdr(znp.AREQ, znp.AF, 0x80) && f.Payload[2] == tid })
		return c.Payload[0]
	}
	if st := send(0x4321, 1); st != 0xCD {
		t.Fatalf("unknown address: confirm %02X, want CD (NWK_NO_ROUTE)", st)
	}
	if err := n.Leave(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	lv := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xC9))
	if binary.LittleEndian.Uint16(lv.Payload) != uint16(nwk) || lv.Payload[12] != 0 {
		t.Fatalf("LEAVE_IND % X", lv.Payload)
	}
	if st := send(nwk, 2); st != 0xE9 {
		t.Fatalf("left device: confirm %02X, want E9 (MAC_NO_ACK)", st)
	}
	// An unregistered source endpoint is refused in the SRSP.
	var req buf
	req.u16(uint16(nwk)).u8(1).u8(99).u16(6).u8(3).u8(0).u8(30).u8(0)
	h.status(znp.AF, 0x01, req, 0x02)
}

func TestSleepyRemote(t *testing.T) {
	cfg := testConfig(t)
	cfg.PollInterval = time.Hour
	var tr syncBuffer
	cfg.Trace = &tr
	n, h := runningNet(t, cfg)
	defer func() {
		if t.Failed() {
			t.Log(tr.String())
		}
	}()
	a, nwk := joinDevice(t, n, h, KindRemote)
	// End the awake window after the join now instead of waiting for it.
	if err := n.call(t.Context(), func() { n.deviceByIEEE(a).awakeUntil = time.Time{} }); err != nil {
		t.Fatal(err)
	}
	nw := le16(uint16(nwk))
	h.status(znp.ZDO, 0x05, append(nw, nw...), 0)
	var req buf
	req.bytes(nw).u8(1).u8(1).u16(0x0000).u8(7).u8(0).u8(30).u8(5).bytes([]byte{0x10, 0x01, 0x00, 0x05, 0x00})
	h.status(znp.AF, 0x01, req, 0)
	// The frames wait for a poll; pressing the button makes it poll.
	if err := n.Press(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0x85)); !bytes.Equal(f.Payload[5:], []byte{1, 1}) {
		t.Fatalf("ACTIVE_EP_RSP % X", f.Payload)
	}
	if in := h.waitFor(hdr(znp.AREQ, znp.AF, 0x81)); binary.LittleEndian.Uint16(in.Payload[4:]) != uint16(nwk) {
		t.Fatalf("INCOMING_MSG % X", in.Payload)
	}
	// While it sleeps and nobody presses: MAC_TRANSACTION_EXPIRED after 7.68 s.
	if testing.Short() {
		return
	}
	if err := n.call(t.Context(), func() { n.deviceByIEEE(a).awakeUntil = time.Time{} }); err != nil {
		t.Fatal(err)
	}
	req[6] = 8 // transId
	h.status(znp.AF, 0x01, req, 0)
	if c := h.waitMatch(func(f znp.Frame) bool { return f.Header == hdr(znp.AREQ, znp.AF, 0x80) && f.Payload[2] == 8 }); c.Payload[0] != 0xF0 {
		t.Fatalf("confirm % X, want F0", c.Payload)
	}
}

func TestFaultHooks(t *testing.T) {
	ping := hdr(znp.SREQ, znp.SYS, 0x01)
	t.Run("drop", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		if err := n.DropResponse(t.Context(), ping, 1); err != nil {
			t.Fatal(err)
		}
		h.send(znp.SYS, 0x01, nil)
		h.send(znp.SYS, 0x02, nil)
		if f := h.next(); f.Header != hdr(znp.SRSP, znp.SYS, 0x02) {
			t.Fatalf("got %v, want the version SRSP (ping SRSP dropped)", f)
		}
	})
	t.Run("delay keeps order", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		if err := n.DelayResponse(t.Context(), ping, 30*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		h.send(znp.SYS, 0x01, nil)
		h.send(znp.SYS, 0x02, nil)
		if f := h.next(); f.ID != 0x01 {
			t.Fatalf("first answer %v, want ping", f)
		}
		if f := h.next(); f.ID != 0x02 {
			t.Fatalf("second answer %v, want version", f)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		if err := n.CorruptFrames(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		h.send(znp.SYS, 0x01, nil) // its SRSP has a bad FCS: the host parser drops it
		h.send(znp.SYS, 0x02, nil)
		if f := h.next(); f.ID != 0x02 {
			t.Fatalf("got %v, want version (ping SRSP corrupted)", f)
		}
	})
	t.Run("inject", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		if err := n.InjectRaw(t.Context(), mustFrame(t, "FE064180000201020701C0")); err != nil {
			t.Fatal(err)
		}
		if f := h.next(); f.Header != hdr(znp.AREQ, znp.SYS, 0x80) {
			t.Fatalf("got %v", f)
		}
	})
	t.Run("confirm status", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		_, nwk := joinDevice(t, n, h, KindLight)
		if err := n.FailConfirms(t.Context(), 0xE1); err != nil {
			t.Fatal(err)
		}
		var req buf
		req.u16(uint16(nwk)).u8(1).u8(1).u16(6).u8(9).u8(0).u8(30).u8(3).bytes([]byte{0x11, 0x01, 0x02})
		h.status(znp.AF, 0x01, req, 0)
		if c := h.waitFor(hdr(znp.AREQ, znp.AF, 0x80)); !bytes.Equal(c.Payload, []byte{0xE1, 1, 9}) {
			t.Fatalf("confirm % X", c.Payload)
		}
	})
	t.Run("watchdog reset", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.ConfirmDelay = time.Hour // in flight when the reset comes
		n, h := runningNet(t, cfg)
		_, nwk := joinDevice(t, n, h, KindLight)
		var req buf
		req.u16(uint16(nwk)).u8(1).u8(1).u16(6).u8(9).u8(0).u8(30).u8(3).bytes([]byte{0x11, 0x01, 0x02})
		h.status(znp.AF, 0x01, req, 0)
		if err := n.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		ind := h.waitFor(hdr(znp.AREQ, znp.SYS, 0x80))
		if ind.Payload[0] != 2 {
			t.Fatalf("reset reason %d, want 2 (watchdog)", ind.Payload[0])
		}
		if di := h.request(znp.UTIL, 0x00, nil); di[12] != 0 {
			t.Fatalf("state after reset %d, want 0", di[12])
		}
		ci, _ := n.Coordinator(t.Context())
		if len(ci.Endpoints) != 0 || !ci.Formed {
			t.Fatalf("after reset: %+v (endpoints are RAM, the network is NV)", ci)
		}
	})
	t.Run("unplug replug", func(t *testing.T) {
		n, h := runningNet(t, testConfig(t))
		if err := n.Unplug(t.Context()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		for {
			_, err := h.rw.Read(buf)
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) {
				t.Fatalf("read after unplug: %v, want EOF", err)
			}
			break
		}
		if _, err := h.rw.Write(mustFrame(t, "FE00210120")); !errors.Is(err, ErrUnplugged) {
			t.Fatalf("write after unplug: %v", err)
		}
		if _, err := n.OpenZNP(t.Context()); !errors.Is(err, zigbee.ErrPortNotFound) {
			t.Fatalf("open while unplugged: %v", err)
		}
		if err := n.Replug(t.Context()); err != nil {
			t.Fatal(err)
		}
		h2 := openHost(t, n)
		h2.waitFor(hdr(znp.AREQ, znp.SYS, 0x80)) // boot
		if di := h2.request(znp.UTIL, 0x00, nil); di[12] != 0 {
			t.Fatalf("state after replug %d", di[12])
		}
	})
}

func TestBadStateFile(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.StatePath, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); !errors.Is(err, ErrBadState) {
		t.Fatalf("New with a corrupt state file: %v", err)
	}
}

func BenchmarkPingRoundTrip(b *testing.B) {
	cfg := Config{Seed: 1}
	n, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	rw, err := n.OpenZNP(ctx)
	if err != nil {
		b.Fatal(err)
	}
	req := []byte{0xFE, 0x00, 0x21, 0x01, 0x20}
	rsp := make([]byte, 7)
	for b.Loop() {
		if _, err := rw.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rw, rsp); err != nil {
			b.Fatal(err)
		}
	}
	rw.Close()
	cancel()
	<-done
}

func TestReportBurst(t *testing.T) {
	n, h := runningNet(t, testConfig(t))
	a, nwk := joinDevice(t, n, h, KindLight)
	if err := n.Report(t.Context(), a, 4); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		f := h.waitFor(hdr(znp.AREQ, znp.AF, 0x81))
		z := f.Payload[17 : 17+int(f.Payload[16])]
		want := []byte{0x18, z[1], 0x0A, 0x00, 0x00, 0x10, byte(1 - i%2)}
		if binary.LittleEndian.Uint16(f.Payload[4:]) != uint16(nwk) || !bytes.Equal(z, want) {
			t.Fatalf("report %d: ZCL % X, want % X", i, z, want)
		}
	}
	if err := n.Report(t.Context(), 0x1234, 1); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("report for an unknown device: %v", err)
	}
}

func TestZDPViaAFToCoordinator(t *testing.T) {
	_, h := runningNet(t, testConfig(t))
	h.status(znp.ZDO, 0x3E, []byte{0xFF, 0xFF}, 0) // zigpy registers every cluster
	var req buf
	req.u8(2).u64(0).u8(0).u16(0).u8(1).u16(0x0005).u8(4).u8(0).u8(30).u16(3).bytes([]byte{0x42, 0x00, 0x00})
	h.status(znp.AF, 0x02, req, 0)
	f := h.waitMatch(func(f znp.Frame) bool {
		return f.Header == hdr(znp.AREQ, znp.ZDO, 0xFF) && binary.LittleEndian.Uint16(f.Payload[3:]) == 0x8005
	})
	if f.Payload[6] != 0x42 || f.Payload[9] != 0 || f.Payload[12] != uint8(len(herdsmanEndpoints)) {
		t.Fatalf("MSG_CB_INCOMING % X", f.Payload)
	}
}

func TestMgmtLeaveBindAndGroups(t *testing.T) {
	n, h := runningNet(t, testConfig(t))
	a, nwk := joinDevice(t, n, h, KindColorLight)
	nw := le16(uint16(nwk))
	ieee := binary.LittleEndian.AppendUint64(nil, uint64(a))
	coord := h.request(znp.SYS, 0x04, nil)

	// Bind On/Off to the coordinator's endpoint 1, then read it back.
	bind := append(append(append([]byte{}, nw...), ieee...), 1, 0x06, 0x00, 3)
	bind = append(append(bind, coord...), 1)
	h.status(znp.ZDO, 0x21, bind, 0)
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xA1)); !bytes.Equal(f.Payload, append(nw, 0)) {
		t.Fatalf("BIND_RSP % X", f.Payload)
	}
	h.status(znp.ZDO, 0x33, append(nw, 0), 0)
	mb := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xB3))
	if mb.Payload[2] != 0 || mb.Payload[3] != 1 || mb.Payload[5] != 1 || !bytes.Equal(mb.Payload[6:14], ieee) {
		t.Fatalf("MGMT_BIND_RSP % X", mb.Payload)
	}
	h.status(znp.ZDO, 0x22, bind, 0)
	h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xA2))
	h.status(znp.ZDO, 0x22, bind, 0)
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xA2)); f.Payload[2] != 0x88 {
		t.Fatalf("second UNBIND_RSP % X, want NO_ENTRY", f.Payload)
	}

	// Groups: add the light to group 0x0042 by ZCL, switch the group.
	var req buf
	req.bytes(nw).u8(1).u8(1).u16(0x0004).u8(1).u8(0).u8(30).u8(6).bytes([]byte{0x01, 0x11, 0x00, 0x42, 0x00, 0x00})
	h.status(znp.AF, 0x01, req, 0)
	in := h.waitFor(hdr(znp.AREQ, znp.AF, 0x81))
	if z := in.Payload[17:]; !bytes.Equal(z[:6], []byte{0x19, 0x11, 0x00, 0x00, 0x42, 0x00}) {
		t.Fatalf("add group response % X", z)
	}
	req = nil
	req.u8(1).u64(0x0042).u8(0xFF).u16(0).u8(1).u16(0x0006).u8(2).u8(0).u8(30).u16(3).bytes([]byte{0x01, 0x12, 0x01})
	h.status(znp.AF, 0x02, req, 0)
	h.waitFor(hdr(znp.AREQ, znp.AF, 0x80))
	for i := 0; ; i++ {
		if d, _ := n.Device(t.Context(), a); d.OnOff {
			break
		}
		if i == 10000 {
			t.Fatal("group command did not switch the light on")
		}
		h.request(znp.SYS, 0x01, nil) // nothing to wait on: let the group frame arrive
	}

	// Mgmt_Leave to the device: response, then the leave indication.
	h.status(znp.ZDO, 0x34, append(append(append([]byte{}, nw...), ieee...), 0), 0)
	if f := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xB4)); !bytes.Equal(f.Payload, append(nw, 0)) {
		t.Fatalf("MGMT_LEAVE_RSP % X", f.Payload)
	}
	lv := h.waitFor(hdr(znp.AREQ, znp.ZDO, 0xC9))
	if !bytes.Equal(lv.Payload[:10], append(append([]byte{}, nw...), ieee...)) {
		t.Fatalf("LEAVE_IND % X", lv.Payload)
	}
	if d, _ := n.Device(t.Context(), a); d.Joined {
		t.Fatal("device still joined after leave")
	}
}

func TestAutoJoinAndDefaultDevices(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices = DefaultDevices()
	cfg.AutoJoin = true
	n, h := runningNet(t, cfg)
	h.status(znp.ZDO, 0x36, []byte{0x0F, 0xFC, 0xFF, 0xFE, 0x01}, 0)
	kinds := map[Kind]int{}
	for _, s := range DefaultDevices() {
		if _, err := n.WaitJoined(t.Context(), s.IEEE); err != nil {
			t.Fatal(err)
		}
		kinds[s.Kind]++
	}
	if len(kinds) != len(Kinds()) || kinds[KindLight] != 1 || len(DefaultDevices()) != 7 {
		t.Fatalf("default population %v", kinds)
	}
}
