package znp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// fakeZNP is a hand-written dongle on the far end of a net.Pipe. Every frame
// the host writes goes to rx; reply, when set, answers it with raw bytes
// (frames, garbage, or nothing).
type fakeZNP struct {
	t     testing.TB
	host  net.Conn // the end given to the conn under test
	dev   net.Conn
	rx    chan Frame
	reply func(f Frame) []byte
	wmu   sync.Mutex
	done  chan struct{}
}

func newFakeZNP(t testing.TB, reply func(Frame) []byte) *fakeZNP {
	t.Helper()
	host, dev := net.Pipe()
	z := &fakeZNP{t: t, host: host, dev: dev, rx: make(chan Frame, 64), reply: reply, done: make(chan struct{})}
	go z.loop()
	t.Cleanup(func() {
		dev.Close()
		<-z.done
	})
	return z
}

func (z *fakeZNP) loop() {
	defer close(z.done)
	sc := bufio.NewScanner(z.dev)
	sc.Split(SplitFrames)
	for sc.Scan() {
		f, err := ParseFrame(sc.Bytes())
		if err != nil {
			z.t.Errorf("fake ZNP: host wrote a bad frame: %v", err)
			return
		}
		f.Payload = bytes.Clone(f.Payload)
		select {
		case z.rx <- f:
		default:
			z.t.Errorf("fake ZNP: rx buffer full")
		}
		if z.reply != nil {
			if b := z.reply(f); len(b) > 0 {
				z.write(b)
			}
		}
	}
}

// write sends raw bytes to the host.
func (z *fakeZNP) write(b []byte) {
	z.wmu.Lock()
	defer z.wmu.Unlock()
	z.dev.Write(b) // an error means the host closed: the test sees that elsewhere
}

// hexBytes decodes hex with optional spaces.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// frameBytes encodes a frame for the fake to send.
func frameBytes(t testing.TB, h Header, payload ...byte) []byte {
	t.Helper()
	b, err := AppendFrame(nil, Frame{Header: h, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func srspOf(h Header) Header { return Header{SRSP, h.Subsystem, h.ID} }

func TestConnRequest(t *testing.T) {
	ping := Frame{cmdSysPing, nil}
	tests := []struct {
		name      string
		reply     func(t testing.TB) []byte
		want      string // SRSP payload hex
		wantErr   error
		wantStats Stats
		callbacks int
	}{
		{
			name:      "SRSP answers the request",
			reply:     func(t testing.TB) []byte { return hexBytes(t, "FE 02 61 01 59 06 3D") },
			want:      "5906",
			wantStats: Stats{FramesRX: 1, FramesTX: 1},
		},
		{
			name: "AREQ between request and SRSP goes to callbacks",
			reply: func(t testing.TB) []byte {
				return append(hexBytes(t, "FE 01 45 C0 09 8D"), hexBytes(t, "FE 02 61 01 59 06 3D")...)
			},
			want:      "5906",
			wantStats: Stats{FramesRX: 2, FramesTX: 1},
			callbacks: 1,
		},
		{
			name: "garbage and a bad FCS before the SRSP are skipped and counted",
			reply: func(t testing.TB) []byte {
				var b []byte
				b = append(b, 0x00, 0x11, 0xEF)                       // 3 bytes of line noise
				b = append(b, hexBytes(t, "FE 02 61 01 59 06 3E")...) // bad FCS: its SOF is dropped, the 6 bytes after it are noise
				b = append(b, hexBytes(t, "FE 02 61 01 59 06 3D")...)
				return b
			},
			want:      "5906",
			wantStats: Stats{FramesRX: 1, FramesTX: 1, GarbageBytes: 3 + 7, BadFCS: 1},
		},
		{
			name: "a stale SRSP of another command is dropped and counted",
			reply: func(t testing.TB) []byte {
				return append(hexBytes(t, "FE 01 61 0F 00 6F"), hexBytes(t, "FE 02 61 01 59 06 3D")...)
			},
			want:      "5906",
			wantStats: Stats{FramesRX: 2, FramesTX: 1, Unmatched: 1},
		},
		{
			name:      "RPC error SRSP maps to ErrRPC",
			reply:     func(t testing.TB) []byte { return frameBytes(t, Header{SRSP, RPCError, 0}, 0x02, 0x21, 0x01) },
			wantErr:   ErrRPC,
			wantStats: Stats{FramesRX: 1, FramesTX: 1},
		},
		{
			name:      "reset instead of an answer fails the request",
			reply:     func(t testing.TB) []byte { return hexBytes(t, "FE 06 41 80 00 02 01 02 07 01 C0") },
			wantErr:   zigbee.ErrCoordinatorReset,
			wantStats: Stats{FramesRX: 1, FramesTX: 1, Resets: 1},
			callbacks: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newFakeZNP(t, func(Frame) []byte { return tt.reply(t) })
			c := newConn(z.host, connConfig{})
			defer c.Close()
			rsp, err := c.request(t.Context(), ping)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got := hex.EncodeToString(rsp.Payload); got != tt.want || rsp.Header != srspOf(cmdSysPing) {
				t.Fatalf("rsp = %v %s, want %s", rsp.Header, got, tt.want)
			}
			for range tt.callbacks {
				<-c.Callbacks()
			}
			if got := c.Stats(); got != tt.wantStats {
				t.Errorf("stats = %+v, want %+v", got, tt.wantStats)
			}
		})
	}
}

func TestConnRPCErrorDetail(t *testing.T) {
	// The vector from znp.md §3: a 3.0.x image rejects SYS_NV_READ.
	z := newFakeZNP(t, func(Frame) []byte { return hexBytes(t, "FE 03 60 00 02 21 33 73") })
	c := newConn(z.host, connConfig{})
	defer c.Close()
	_, err := c.request(t.Context(), Frame{cmdSysNVRead, exHeader(exTCLKTable, 0)})
	var re *RejectedError
	if !errors.As(err, &re) || re.Code != 2 || re.Request != cmdSysNVRead {
		t.Fatalf("err = %v, want an RPC error code 2 for SYS_NV_READ", err)
	}
	if !strings.Contains(err.Error(), "SYS_NV_READ") || !strings.Contains(err.Error(), "invalid command id") {
		t.Errorf("error text %q should name the command and the reason", err)
	}
}

func TestConnTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := newFakeZNP(t, nil) // never answers
		c := newConn(z.host, connConfig{SREQTimeout: 2 * time.Second})
		defer c.Close()
		_, err := c.request(t.Context(), Frame{cmdSysPing, nil})
		if !errors.Is(err, zigbee.ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		// The slot is free again: a second request is written and times out too.
		_, err = c.request(t.Context(), Frame{cmdSysVersion, nil})
		if !errors.Is(err, zigbee.ErrTimeout) {
			t.Fatalf("second err = %v, want ErrTimeout", err)
		}
		if n := len(z.rx); n != 2 {
			t.Errorf("dongle saw %d frames, want 2", n)
		}
	})
}

func TestConnStartTimeoutIsLonger(t *testing.T) {
	c := &conn{cfg: connConfig{SREQTimeout: time.Second, StartTimeout: time.Minute}}
	for _, h := range []Header{cmdZDOStartupFromApp, cmdBDBStartComm} {
		if got := c.timeoutFor(h); got != time.Minute {
			t.Errorf("timeout for %s = %v, want 1m", cmdName(h), got)
		}
	}
	if got := c.timeoutFor(cmdSysPing); got != time.Second {
		t.Errorf("timeout for SYS_PING = %v, want 1s", got)
	}
}

func TestConnContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := newFakeZNP(t, nil)
		c := newConn(z.host, connConfig{})
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := c.request(ctx, Frame{cmdSysPing, nil})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestConnOneSREQInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := newFakeZNP(t, nil)
		c := newConn(z.host, connConfig{})
		defer c.Close()
		var wg sync.WaitGroup
		results := make(chan string, 2)
		for _, h := range []Header{cmdSysPing, cmdSysVersion} {
			wg.Go(func() {
				rsp, err := c.request(t.Context(), Frame{h, nil})
				if err != nil {
					t.Error(err)
					return
				}
				results <- cmdName(rsp.Header)
			})
		}
		first := <-z.rx
		synctest.Wait() // everything is blocked: the second SREQ must not be on the wire
		if len(z.rx) != 0 {
			t.Fatalf("a second SREQ was written before the first was answered")
		}
		z.write(frameBytes(t, srspOf(first.Header), 0))
		second := <-z.rx
		if second.Header == first.Header {
			t.Fatalf("the same request was written twice")
		}
		z.write(frameBytes(t, srspOf(second.Header), 0))
		wg.Wait()
		close(results)
		var got []string
		for r := range results {
			got = append(got, r)
		}
		if len(got) != 2 {
			t.Fatalf("got %d answers, want 2", len(got))
		}
	})
}

func TestConnAREQWaiter(t *testing.T) {
	confirm := func(tid byte) func(Frame) bool {
		return func(f Frame) bool {
			return f.Header == cmdAFDataConfirm && len(f.Payload) == 3 && f.Payload[1] == 1 && f.Payload[2] == tid
		}
	}
	z := newFakeZNP(t, func(f Frame) []byte {
		var b []byte
		b = append(b, frameBytes(t, srspOf(f.Header), 0)...)
		b = append(b, frameBytes(t, cmdAFDataConfirm, 0x00, 0x01, 0x04)...) // another transaction
		b = append(b, frameBytes(t, cmdAFDataConfirm, 0xE9, 0x01, 0x05)...) // ours, MAC_NO_ACK
		return b
	})
	c := newConn(z.host, connConfig{})
	defer c.Close()
	w := c.expect(confirm(5))
	if _, err := c.request(t.Context(), Frame{cmdAFDataRequest, make([]byte, 10)}); err != nil {
		t.Fatal(err)
	}
	f, err := c.wait(t.Context(), w, time.Minute, "AF_DATA_CONFIRM")
	if err != nil {
		t.Fatal(err)
	}
	if f.Payload[0] != 0xE9 || f.Payload[2] != 5 {
		t.Errorf("confirm = % X, want status E9 for tid 5", f.Payload)
	}
	cb := <-c.Callbacks()
	if cb.Header != cmdAFDataConfirm || cb.Payload[2] != 4 {
		t.Errorf("callback = %v, want the confirm of tid 4", cb)
	}
}

func TestConnWaiterTimeoutUnregisters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := newFakeZNP(t, nil)
		c := newConn(z.host, connConfig{})
		defer c.Close()
		w := c.expect(func(f Frame) bool { return f.Header == cmdZDOStateChangeInd })
		if _, err := c.wait(t.Context(), w, time.Second, "state change"); !errors.Is(err, zigbee.ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		// The late indication is no longer claimed by the dead waiter.
		z.write(hexBytes(t, "FE 01 45 C0 09 8D"))
		if f := <-c.Callbacks(); f.Header != cmdZDOStateChangeInd {
			t.Fatalf("callback = %v", f)
		}
	})
}

func TestConnExpectedReset(t *testing.T) {
	z := newFakeZNP(t, func(f Frame) []byte {
		if f.Header == cmdSysResetReq {
			return hexBytes(t, "FE 06 41 80 00 02 01 02 07 01 C0")
		}
		return nil
	})
	c := newConn(z.host, connConfig{})
	defer c.Close()
	w := c.expect(func(f Frame) bool { return f.Header == cmdSysResetInd })
	other := c.expect(func(f Frame) bool { return f.Header == cmdAFDataConfirm })
	if err := c.send(Frame{cmdSysResetReq, []byte{1}}); err != nil {
		t.Fatal(err)
	}
	f, err := c.wait(t.Context(), w, time.Minute, "SYS_RESET_IND")
	if err != nil || f.Payload[1] != 2 {
		t.Fatalf("reset ind = %v, %v", f, err)
	}
	if _, err := c.wait(t.Context(), other, time.Minute, "AF_DATA_CONFIRM"); !errors.Is(err, zigbee.ErrCoordinatorReset) {
		t.Errorf("other waiter err = %v, want ErrCoordinatorReset", err)
	}
	if s := c.Stats(); s.Resets != 0 {
		t.Errorf("an expected reset was counted as unexpected: %+v", s)
	}
}

func TestConnResetMidRequestFailsWaiters(t *testing.T) {
	z := newFakeZNP(t, nil)
	c := newConn(z.host, connConfig{})
	defer c.Close()
	w := c.expect(func(f Frame) bool { return f.Header == cmdAFDataConfirm })
	errc := make(chan error, 1)
	go func() {
		_, err := c.request(t.Context(), Frame{cmdAFDataRequest, make([]byte, 10)})
		errc <- err
	}()
	<-z.rx
	z.write(hexBytes(t, "FE 06 41 80 02 02 01 02 07 01 C2")) // watchdog reset
	if err := <-errc; !errors.Is(err, zigbee.ErrCoordinatorReset) {
		t.Errorf("request err = %v, want ErrCoordinatorReset", err)
	}
	if _, err := c.wait(t.Context(), w, time.Minute, "AF_DATA_CONFIRM"); !errors.Is(err, zigbee.ErrCoordinatorReset) {
		t.Errorf("waiter err = %v, want ErrCoordinatorReset", err)
	}
	if f := <-c.Callbacks(); f.Header != cmdSysResetInd {
		t.Errorf("callback = %v, want SYS_RESET_IND", f)
	}
	// The link itself is fine: the next request works.
	go func() {
		f := <-z.rx
		z.write(frameBytes(t, srspOf(f.Header), 0x79, 0x01))
	}()
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); err != nil {
		t.Errorf("request after reset: %v", err)
	}
}

func TestConnPortClosedMidRequest(t *testing.T) {
	z := newFakeZNP(t, nil)
	c := newConn(z.host, connConfig{SREQTimeout: time.Hour})
	defer c.Close()
	w := c.expect(func(f Frame) bool { return f.Header == cmdAFDataConfirm })
	errc := make(chan error, 1)
	go func() {
		_, err := c.request(t.Context(), Frame{cmdSysPing, nil})
		errc <- err
	}()
	<-z.rx
	z.dev.Close() // unplugged
	err := <-errc
	if !errors.Is(err, zigbee.ErrNetworkDown) || !strings.Contains(err.Error(), "link lost") {
		t.Errorf("request err = %v, want a link-lost ErrNetworkDown", err)
	}
	if _, err := c.wait(t.Context(), w, time.Hour, "AF_DATA_CONFIRM"); !errors.Is(err, zigbee.ErrNetworkDown) {
		t.Errorf("waiter err = %v, want ErrNetworkDown", err)
	}
	<-c.Done()
	if _, ok := <-c.Callbacks(); ok {
		t.Errorf("callbacks not closed after link loss")
	}
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); !errors.Is(err, zigbee.ErrNetworkDown) {
		t.Errorf("request on a dead conn: %v", err)
	}
	if w := c.expect(func(Frame) bool { return true }); w != nil {
		if _, err := c.wait(t.Context(), w, time.Hour, "x"); !errors.Is(err, zigbee.ErrNetworkDown) {
			t.Errorf("expect on a dead conn: %v", err)
		}
	}
}

func TestConnCloseIsClean(t *testing.T) {
	z := newFakeZNP(t, nil)
	c := newConn(z.host, connConfig{})
	c.Close()
	c.Close()
	if !errors.Is(c.Err(), errConnClosed) {
		t.Errorf("Err = %v, want errConnClosed", c.Err())
	}
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); !errors.Is(err, errConnClosed) {
		t.Errorf("request after close: %v", err)
	}
}

func TestConnOversizedFrameKeepsLink(t *testing.T) {
	z := newFakeZNP(t, func(f Frame) []byte { return frameBytes(t, srspOf(f.Header), 0) })
	c := newConn(z.host, connConfig{})
	defer c.Close()
	_, err := c.request(t.Context(), Frame{cmdAFDataRequest, make([]byte, MaxPayload+1)})
	if !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("err = %v, want ErrFrameTooLong", err)
	}
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); err != nil {
		t.Fatalf("link unusable after an oversized frame: %v", err)
	}
}

func TestConnDropsCallbacksWhenFull(t *testing.T) {
	z := newFakeZNP(t, nil)
	c := newConn(z.host, connConfig{CallbackBuffer: 1, CallbackQueue: 1})
	defer c.Close()
	ind := hexBytes(t, "FE 01 45 C0 09 8D")
	z.write(bytes.Repeat(ind, 3))
	// A request after the indications proves the reader handled them.
	go func() {
		f := <-z.rx
		z.write(frameBytes(t, srspOf(f.Header), 0, 0))
	}()
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); err != nil {
		t.Fatal(err)
	}
	// One in the channel, one waiting in the queue, the third dropped.
	if s := c.Stats(); s.DroppedCallbacks != 1 {
		t.Errorf("dropped = %d, want 1", s.DroppedCallbacks)
	}
}

// A burst far larger than the callback buffer (hundreds of devices joining
// at once) waits in order while the driver is busy: nothing is dropped, and
// the reader keeps answering requests meanwhile.
func TestConnCallbackBurstLosesNothing(t *testing.T) {
	z := newFakeZNP(t, nil)
	c := newConn(z.host, connConfig{CallbackBuffer: 4})
	defer c.Close()
	const n = 2000
	var burst []byte
	for i := range n {
		// ZDO_STATE_CHANGE_IND with the sequence number as its state byte.
		burst = append(burst, frameBytes(t, Header{Type: AREQ, Subsystem: ZDO, ID: 0xC0}, byte(i))...)
	}
	z.write(burst)
	go func() {
		f := <-z.rx
		z.write(frameBytes(t, srspOf(f.Header), 0, 0))
	}()
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); err != nil {
		t.Fatalf("request during the burst: %v", err)
	}
	for i := range n {
		f := <-c.Callbacks()
		if len(f.Payload) != 1 || f.Payload[0] != byte(i) {
			t.Fatalf("callback %d: % X, want state %02X", i, f.Payload, byte(i))
		}
	}
	if s := c.Stats(); s.DroppedCallbacks != 0 {
		t.Errorf("dropped = %d, want 0", s.DroppedCallbacks)
	}
}

// logRecorder keeps the records of a slog handler for assertions.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// attrs returns, for each record with the given event, its attributes.
func (h *logRecorder) events(event string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.recs {
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			m[a.Key] = a.Value.String()
			return true
		})
		if m["event"] == event {
			out = append(out, m)
		}
	}
	return out
}

func TestConnLogsFramesAndRedactsKeys(t *testing.T) {
	key := "00112233445566778899AABBCCDDEEFF"
	z := newFakeZNP(t, func(f Frame) []byte {
		if f.Header == cmdSysOSALNVReadExt {
			return frameBytes(t, srspOf(f.Header), append([]byte{0, 17, 0}, hexBytes(t, key)...)...)
		}
		return frameBytes(t, srspOf(f.Header), 0x59, 0x06)
	})
	rec := &logRecorder{}
	c := newConn(z.host, connConfig{Logger: slog.New(rec)})
	defer c.Close()
	z.write([]byte{0x00, 0x01}) // noise, reported as a resync before the next frame
	if _, err := c.request(t.Context(), Frame{cmdSysPing, nil}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.request(t.Context(), Frame{cmdSysOSALNVReadExt, []byte{0x3A, 0, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	tx, rx := rec.events("frame_tx"), rec.events("frame_rx")
	if len(tx) != 2 || len(rx) != 2 {
		t.Fatalf("got %d frame_tx and %d frame_rx records, want 2 each", len(tx), len(rx))
	}
	if rx[0]["cmd"] != "SYS_PING" || rx[0]["data"] != "5906" {
		t.Errorf("frame_rx = %v", rx[0])
	}
	if tx[1]["data"] != "[redacted]" || rx[1]["data"] != "[redacted]" {
		t.Errorf("key read not redacted: tx %v rx %v", tx[1], rx[1])
	}
	if rs := rec.events("frame_resync"); len(rs) != 1 || rs[0]["bytes"] != "2" {
		t.Errorf("frame_resync records = %v, want one with 2 bytes", rs)
	}
}
