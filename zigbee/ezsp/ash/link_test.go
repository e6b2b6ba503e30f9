package ash

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// fakeNCP is the NCP end of a net.Pipe, driven step by step by a test: it
// reads the host's frames and writes whatever the test tells it to.
type fakeNCP struct {
	t    *testing.T
	c    net.Conn
	in   chan Frame
	errs chan error
}

func newFakeNCP(t *testing.T) (*fakeNCP, net.Conn) {
	host, ncp := net.Pipe()
	f := &fakeNCP{t: t, c: ncp, in: make(chan Frame, 64), errs: make(chan error, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var d Deframer
		buf := make([]byte, 256)
		for {
			n, err := ncp.Read(buf)
			d.Write(buf[:n])
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				fr, perr := ParseFrame(raw)
				if perr != nil {
					f.errs <- perr
					continue
				}
				fr.Data = bytes.Clone(fr.Data)
				f.in <- fr
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ncp.Close()
		host.Close()
		<-done
	})
	return f, host
}

// next returns the next frame from the host.
func (f *fakeNCP) next() Frame {
	f.t.Helper()
	select {
	case fr := <-f.in:
		return fr
	case err := <-f.errs:
		f.t.Fatalf("host sent a bad frame: %v", err)
	case <-time.After(5 * time.Second):
		f.t.Fatal("no frame from the host")
	}
	return Frame{}
}

// expect returns the next frame and checks its type.
func (f *fakeNCP) expect(typ Type) Frame {
	f.t.Helper()
	fr := f.next()
	if fr.Type != typ {
		f.t.Fatalf("host sent %v, want %v", fr, typ)
	}
	return fr
}

func (f *fakeNCP) send(prefix []byte, fr Frame) {
	f.t.Helper()
	b, err := AppendFrame(append([]byte(nil), prefix...), fr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.raw(b)
}

func (f *fakeNCP) raw(b []byte) {
	f.t.Helper()
	if _, err := f.c.Write(b); err != nil {
		f.t.Fatalf("fake NCP write: %v", err)
	}
}

// fastConfig keeps retransmission tests short; timing is never asserted.
func fastConfig() Config {
	return Config{AckTimeInit: 50 * time.Millisecond, AckTimeMin: 20 * time.Millisecond,
		AckTimeMax: 200 * time.Millisecond, ResetTimeout: 300 * time.Millisecond, MaxTimeouts: 3}
}

// connect runs Connect against the fake NCP, answering the RST.
func connect(t *testing.T, f *fakeNCP, host net.Conn, cfg Config, beforeRSTACK func()) *Link {
	t.Helper()
	type res struct {
		l   *Link
		err error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := Connect(t.Context(), host, cfg)
		ch <- res{l, err}
	}()
	f.expect(TypeRST)
	if beforeRSTACK != nil {
		beforeRSTACK()
	}
	f.send([]byte{Cancel}, Frame{Type: TypeRSTACK, Code: 0x0B})
	r := <-ch
	if r.err != nil {
		t.Fatalf("connect: %v", r.err)
	}
	if !cfg.NoAckAfterReset {
		if a := f.expect(TypeACK); a.AckNum != 0 {
			t.Fatalf("first ACK %v", a)
		}
	}
	t.Cleanup(func() { r.l.Close() })
	return r.l
}

func recv(t *testing.T, l *Link) []byte {
	t.Helper()
	select {
	case b, ok := <-l.Frames():
		if !ok {
			t.Fatalf("link ended: %v", l.Err())
		}
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no frame delivered")
	}
	return nil
}

var cmdVersion = []byte{0x00, 0x00, 0x00, 0x0D}
var rspVersion = []byte{0x00, 0x80, 0x00, 0x0D, 0x02, 0x30, 0x74}

func TestConnectAndExchange(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), func() {
		// Noise and a power-on RSTACK before the answer are ignored.
		f.raw([]byte{0x00, 0xDD})
		f.send(nil, Frame{Type: TypeRSTACK, Code: 0x02})
		f.expect(TypeRST) // the link resets again after a foreign RSTACK
	})
	if l.ResetCode() != 0x0B {
		t.Fatalf("reset code %#x", l.ResetCode())
	}
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	d := f.expect(TypeData)
	if d.FrmNum != 0 || d.AckNum != 0 || d.ReTx || !bytes.Equal(d.Data, cmdVersion) {
		t.Fatalf("host DATA %v", d)
	}
	f.send(nil, Frame{Type: TypeData, FrmNum: 0, AckNum: 1, Data: rspVersion})
	if got := recv(t, l); !bytes.Equal(got, rspVersion) {
		t.Fatalf("delivered % X", got)
	}
	if a := f.expect(TypeACK); a.AckNum != 1 {
		t.Fatalf("ACK %v, want ACK(1)", a)
	}
	// The next frame is numbered 1 and acknowledges the NCP's frame 0.
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	if d := f.expect(TypeData); d.FrmNum != 1 || d.AckNum != 1 {
		t.Fatalf("second DATA %v", d)
	}
}

func TestRetransmitOnLostAck(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), nil)
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	first := f.expect(TypeData)
	// The NCP's ACK is "lost": the host retransmits with reTx set.
	again := f.expect(TypeData)
	if !again.ReTx || again.FrmNum != first.FrmNum || !bytes.Equal(again.Data, first.Data) {
		t.Fatalf("retransmission %v of %v", again, first)
	}
	f.send(nil, Frame{Type: TypeACK, AckNum: 1})
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	if d := f.expect(TypeData); d.FrmNum != 1 || d.ReTx {
		t.Fatalf("after the ACK: %v", d)
	}
	if s := l.Stats(); s.Retransmits == 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNAKRetransmits(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), nil)
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	f.expect(TypeData)
	f.send(nil, Frame{Type: TypeNAK, AckNum: 0})
	if d := f.expect(TypeData); !d.ReTx || d.FrmNum != 0 {
		t.Fatalf("after NAK: %v", d)
	}
	f.send(nil, Frame{Type: TypeACK, AckNum: 1})
}

func TestGivesUpAfterTimeouts(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), nil)
	if err := l.Send(t.Context(), cmdVersion); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range f.in {
		}
	}()
	select {
	case <-l.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("link did not give up")
	}
	if !errors.Is(l.Err(), ErrAckTimeout) {
		t.Fatalf("err %v", l.Err())
	}
	if _, ok := <-l.Frames(); ok {
		t.Fatal("Frames not closed")
	}
}

func TestRejectCondition(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), nil)
	// Frame 1 before frame 0: one NAK(0), not two.
	f.send(nil, Frame{Type: TypeData, FrmNum: 1, Data: rspVersion})
	if n := f.expect(TypeNAK); n.AckNum != 0 {
		t.Fatalf("NAK %v", n)
	}
	f.send(nil, Frame{Type: TypeData, FrmNum: 2, Data: rspVersion})
	f.raw([]byte{0x12, 0x34, Flag}) // garbage: no second NAK either
	f.send(nil, Frame{Type: TypeData, FrmNum: 0, Data: rspVersion})
	if a := f.expect(TypeACK); a.AckNum != 1 {
		t.Fatalf("ACK %v", a)
	}
	recv(t, l)
	// A retransmitted duplicate is acknowledged again, not delivered.
	f.send(nil, Frame{Type: TypeData, FrmNum: 0, ReTx: true, Data: rspVersion})
	if a := f.expect(TypeACK); a.AckNum != 1 {
		t.Fatalf("ACK of the duplicate %v", a)
	}
	// A CRC error after an accepted frame gets a NAK again.
	f.raw([]byte{0x10, 0x42, 0x21, 0xA8, 0x00, 0x00, Flag})
	if n := f.expect(TypeNAK); n.AckNum != 1 {
		t.Fatalf("NAK %v", n)
	}
	select {
	case b := <-l.Frames():
		t.Fatalf("delivered % X", b)
	default:
	}
	s := l.Stats()
	if s.OutOfSequence != 2 || s.Duplicates != 1 || s.NakTX != 2 || s.BadFrames != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNCPFailureEndsLink(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want error
	}{
		{"error_frame", Frame{Type: TypeError, Code: 0x51}, ErrNCPError},
		{"unexpected_rstack", Frame{Type: TypeRSTACK, Code: 0x03}, ErrNCPReset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, host := newFakeNCP(t)
			l := connect(t, f, host, fastConfig(), nil)
			f.send(nil, tt.f)
			<-l.Done()
			if !errors.Is(l.Err(), tt.want) {
				t.Fatalf("err %v, want %v", l.Err(), tt.want)
			}
			if err := l.Send(t.Context(), cmdVersion); !errors.Is(err, tt.want) {
				t.Fatalf("Send after failure: %v", err)
			}
		})
	}
}

func TestConnectFailures(t *testing.T) {
	t.Run("no_answer", func(t *testing.T) {
		f, host := newFakeNCP(t)
		go func() {
			for range f.in {
			}
		}()
		cfg := fastConfig()
		cfg.ResetAttempts = 2
		_, err := Connect(t.Context(), host, cfg)
		if !errors.Is(err, ErrNoReset) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f, host := newFakeNCP(t)
		go func() {
			for range f.in {
			}
		}()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := Connect(ctx, host, fastConfig()); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("port_closed", func(t *testing.T) {
		f, host := newFakeNCP(t)
		go func() {
			f.next()
			f.c.Close()
		}()
		if _, err := Connect(t.Context(), host, fastConfig()); err == nil {
			t.Fatal("connected to a closed port")
		}
	})
}

func TestXOFFPausesData(t *testing.T) {
	f, host := newFakeNCP(t)
	cfg := fastConfig()
	cfg.XONXOFF = true
	cfg.XOFFTimeout = time.Hour
	l := connect(t, f, host, cfg, nil)
	f.raw([]byte{XOFF})
	// An ACK round trip makes sure the XOFF was seen before the Send.
	f.send(nil, Frame{Type: TypeData, FrmNum: 0, Data: rspVersion})
	f.expect(TypeACK)
	recv(t, l)
	sent := make(chan error, 1)
	go func() { sent <- l.Send(t.Context(), cmdVersion) }()
	select {
	case fr := <-f.in:
		t.Fatalf("host sent %v during XOFF", fr)
	case <-time.After(100 * time.Millisecond):
	}
	f.raw([]byte{XON})
	if d := f.expect(TypeData); d.FrmNum != 0 {
		t.Fatalf("DATA after XON %v", d)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

func TestCloseEndsLink(t *testing.T) {
	f, host := newFakeNCP(t)
	l := connect(t, f, host, fastConfig(), nil)
	l.Close()
	if !errors.Is(l.Err(), ErrClosed) {
		t.Fatalf("err %v", l.Err())
	}
	if err := l.Send(t.Context(), cmdVersion); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
}
