package ash

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Link defaults (ezsp.md §3.3, §3.6, §4.1).
const (
	// DefaultWindow is the number of DATA frames the host keeps in flight.
	// EZSP allows one command at a time, so a window of 1 costs nothing
	// and is what bellows uses (firmware has crashed with more).
	DefaultWindow = 1
	// DefaultAckTimeInit, Min and Max bound the adaptive ACK timer.
	DefaultAckTimeInit = 1600 * time.Millisecond
	DefaultAckTimeMin  = 400 * time.Millisecond
	DefaultAckTimeMax  = 3200 * time.Millisecond
	// DefaultMaxTimeouts is the number of consecutive ACK timeouts after
	// which the link fails (bellows gives up after 5 attempts).
	DefaultMaxTimeouts = 5
	// DefaultResetTimeout is the wait for RSTACK after one RST.
	DefaultResetTimeout = 5 * time.Second
	// DefaultResetAttempts is how many RSTs Connect sends.
	DefaultResetAttempts = 5
	// DefaultXOFFTimeout bounds a pause caused by XOFF when no XON follows.
	DefaultXOFFTimeout = time.Second
	// frameQueue is the number of received EZSP frames buffered for the
	// owner; the NCP sends at most TX_K=5 before it waits for ACKs, and
	// the owner drains the channel without blocking on application work.
	frameQueue = 64
)

// Config configures a Link. Zero fields take the defaults above.
type Config struct {
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// Window is the number of unacknowledged DATA frames in flight (1–7).
	Window int
	// AckTimeInit, AckTimeMin and AckTimeMax bound the adaptive ACK timer
	// t: a timeout doubles it, an acknowledgement moves it to
	// 7/8·t + 1/2·measured delay.
	AckTimeInit, AckTimeMin, AckTimeMax time.Duration
	// MaxTimeouts is the number of consecutive ACK timeouts after which
	// the link fails with ErrAckTimeout.
	MaxTimeouts int
	// ResetTimeout is the wait for RSTACK after each of ResetAttempts RSTs.
	ResetTimeout  time.Duration
	ResetAttempts int
	// XONXOFF honours software flow control: after an XOFF from the NCP no
	// DATA frame is sent until XON, or until XOFFTimeout passes. Without
	// it XON/XOFF bytes are only dropped (the OS driver handles them).
	XONXOFF     bool
	XOFFTimeout time.Duration
	// NoAckAfterReset skips the ACK(0) that herdsman and the Silicon Labs
	// host code send right after RSTACK.
	NoAckAfterReset bool
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Window <= 0 || c.Window > 7 {
		c.Window = DefaultWindow
	}
	def(&c.AckTimeInit, DefaultAckTimeInit)
	def(&c.AckTimeMin, DefaultAckTimeMin)
	def(&c.AckTimeMax, DefaultAckTimeMax)
	def(&c.ResetTimeout, DefaultResetTimeout)
	def(&c.XOFFTimeout, DefaultXOFFTimeout)
	if c.MaxTimeouts <= 0 {
		c.MaxTimeouts = DefaultMaxTimeouts
	}
	if c.ResetAttempts <= 0 {
		c.ResetAttempts = DefaultResetAttempts
	}
}

// Stats counts what a Link saw.
type Stats struct {
	DataTX, DataRX   uint64 // DATA frames written (first transmissions) and accepted
	Retransmits      uint64 // DATA frames written again (timeout or NAK)
	AckTX, AckRX     uint64
	NakTX, NakRX     uint64
	Duplicates       uint64 // retransmitted DATA frames already accepted
	OutOfSequence    uint64 // DATA frames with an unexpected frame number
	BadFrames        uint64 // frames that did not parse (CRC, escape, length)
	BadAckNumbers    uint64 // ackNums outside the window
	DroppedBytes     uint64 // bytes dropped by CANCEL, SUBSTITUTE or overlong runs
	IgnoredAtConnect uint64 // frames other than RSTACK while resetting
}

// event is what the reader goroutine hands to the state goroutine.
type event struct {
	f   Frame
	err error // a frame that did not parse (*FrameError) or the read error
	eof bool  // err ended the stream
}

type outFrame struct {
	data   []byte
	frm    uint8
	sent   time.Time
	resent bool
}

// Link is the host side of an ASH connection to one NCP. Create it with
// Connect; see the package doc for its concurrency contract.
type Link struct {
	cfg Config
	log *slog.Logger
	rwc io.ReadWriteCloser

	rx     chan event
	tx     chan []byte
	frames chan []byte
	done   chan struct{} // closed when the state goroutine ends
	err    error         // why the link ended; read after done

	closeOnce  sync.Once
	closing    chan struct{}
	readerDone chan struct{}

	paused  atomic.Bool // XOFF seen
	flowSig chan struct{}

	resetCode uint8
	st        struct {
		dataTX, dataRX, retx, ackTX, ackRX, nakTX, nakRX, dup, ooo, bad, badAck, dropped, ignored atomic.Uint64
	}

	// Owned by the state goroutine.
	wbuf     []byte
	nextFrm  uint8 // frame number of the next new DATA frame
	ackBase  uint8 // frame number of the oldest unacknowledged frame
	unacked  []*outFrame
	rxNext   uint8 // frame number expected next from the NCP
	reject   bool
	ackTime  time.Duration
	timeouts int
}

// Connect resets the NCP on rwc (CANCEL+RST, wait for RSTACK, retried) and
// returns the connected link. The Link owns rwc from now on: Close closes
// it. A ctx that ends while resetting aborts Connect; afterwards ctx does
// not matter.
func Connect(ctx context.Context, rwc io.ReadWriteCloser, cfg Config) (*Link, error) {
	cfg.defaults()
	l := &Link{
		cfg: cfg, log: cfg.Logger, rwc: rwc,
		rx:         make(chan event, 16),
		tx:         make(chan []byte),
		frames:     make(chan []byte, frameQueue),
		done:       make(chan struct{}),
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		flowSig:    make(chan struct{}, 1),
		ackTime:    cfg.AckTimeInit,
	}
	go l.read()
	if err := l.reset(ctx); err != nil {
		l.shutdown()
		<-l.readerDone
		return nil, err
	}
	go l.run()
	return l, nil
}

// Frames returns the EZSP frames received, in order. It is closed when the
// link ends.
func (l *Link) Frames() <-chan []byte { return l.frames }

// Done is closed when the link has ended; Err then says why.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns why the link ended (nil while it runs, ErrClosed after Close).
func (l *Link) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// ResetCode is the reset code of the RSTACK that connected the link.
func (l *Link) ResetCode() uint8 { return l.resetCode }

// Stats returns the link counters.
func (l *Link) Stats() Stats {
	s := &l.st
	return Stats{DataTX: s.dataTX.Load(), DataRX: s.dataRX.Load(), Retransmits: s.retx.Load(),
		AckTX: s.ackTX.Load(), AckRX: s.ackRX.Load(), NakTX: s.nakTX.Load(), NakRX: s.nakRX.Load(),
		Duplicates: s.dup.Load(), OutOfSequence: s.ooo.Load(), BadFrames: s.bad.Load(),
		BadAckNumbers: s.badAck.Load(), DroppedBytes: s.dropped.Load(), IgnoredAtConnect: s.ignored.Load()}
}

// Send queues one EZSP frame for transmission. It returns once the state
// goroutine took it (not when the NCP acknowledged it; a frame that is
// never acknowledged ends the link with ErrAckTimeout).
func (l *Link) Send(ctx context.Context, data []byte) error {
	if len(data) < MinData || len(data) > MaxData {
		return &FrameError{Err: ErrBadLength, Frame: data}
	}
	select {
	case l.tx <- data:
		return nil
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends the link, closes the port and waits for the goroutines.
func (l *Link) Close() error {
	l.shutdown()
	<-l.done
	<-l.readerDone
	return nil
}

func (l *Link) shutdown() {
	l.closeOnce.Do(func() {
		close(l.closing)
		l.rwc.Close()
	})
}

// read is the reader goroutine: it deframes and parses everything the NCP
// sends and hands it to the state goroutine.
func (l *Link) read() {
	defer close(l.readerDone)
	var d Deframer
	buf := make([]byte, 512)
	var dropped uint64
	for {
		n, err := l.rwc.Read(buf)
		if n > 0 {
			l.flow(buf[:n])
			d.Write(buf[:n])
			for {
				raw, ok := d.Next()
				if !ok {
					break
				}
				f, perr := ParseFrame(raw)
				ev := event{f: f, err: perr}
				if perr == nil && f.Type == TypeData {
					f.Data = append([]byte(nil), f.Data...)
					ev.f = f
				}
				if !l.deliver(ev) {
					return
				}
			}
			if x := d.Cancelled + d.Overlong + d.Substituted; x != dropped {
				l.st.dropped.Add(x - dropped)
				dropped = x
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("ash: read: %w", io.ErrUnexpectedEOF)
			} else {
				err = fmt.Errorf("ash: read: %w", err)
			}
			l.deliver(event{err: err, eof: true})
			return
		}
	}
}

func (l *Link) deliver(ev event) bool {
	select {
	case l.rx <- ev:
		return true
	case <-l.closing:
		return false
	}
}

// flow watches raw XON/XOFF bytes (they never occur inside frames).
func (l *Link) flow(b []byte) {
	if !l.cfg.XONXOFF {
		return
	}
	for _, c := range b {
		switch c {
		case XOFF:
			l.paused.Store(true)
		case XON:
			l.paused.Store(false)
			select {
			case l.flowSig <- struct{}{}:
			default:
			}
		}
	}
}

// write writes one frame (plus prefix bytes) to the port.
func (l *Link) write(prefix []byte, f Frame) error {
	b := append(l.wbuf[:0], prefix...)
	b, err := AppendFrame(b, f)
	if err != nil {
		return err
	}
	l.wbuf = b
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("ash tx", "event", "ash_tx", "frame", redact(f))
	}
	if _, err := l.rwc.Write(b); err != nil {
		return fmt.Errorf("ash: write: %w", err)
	}
	return nil
}

// redact describes a frame without its data (EZSP frames may hold keys).
func redact(f Frame) string {
	if f.Type == TypeData {
		r := ""
		if f.ReTx {
			r = " reTx"
		}
		return fmt.Sprintf("DATA(frm=%d ack=%d%s) %d bytes", f.FrmNum, f.AckNum, r, len(f.Data))
	}
	return f.String()
}

// reset sends CANCEL+RST until a software RSTACK arrives (ezsp.md §4.1).
// Anything else is ignored meanwhile; an ERROR or a different RSTACK (the
// NCP booting on its own) prompts another RST.
func (l *Link) reset(ctx context.Context) error {
	start := time.Now()
	var lastErr error
	for attempt := 1; attempt <= l.cfg.ResetAttempts; attempt++ {
		if err := l.write([]byte{Cancel}, Frame{Type: TypeRST}); err != nil {
			return err
		}
		t := time.NewTimer(l.cfg.ResetTimeout)
	wait:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
				lastErr = ErrNoReset
				break wait
			case ev := <-l.rx:
				if ev.eof {
					t.Stop()
					return ev.err
				}
				switch {
				case ev.err != nil:
					l.st.bad.Add(1)
				case ev.f.Type == TypeRSTACK && ev.f.Code == 0x0B:
					t.Stop()
					l.resetCode = ev.f.Code
					l.log.Debug("ash connected", "event", "ash_connected", "attempt", attempt,
						"elapsed_ms", time.Since(start).Milliseconds())
					if !l.cfg.NoAckAfterReset {
						if err := l.write(nil, Frame{Type: TypeACK}); err != nil {
							return err
						}
						l.st.ackTX.Add(1)
					}
					return nil
				case ev.f.Type == TypeRSTACK, ev.f.Type == TypeError:
					l.log.Debug("NCP reported a reset or error while connecting, resetting again",
						"event", "ash_reset_retry", "frame", ev.f.String())
					lastErr = &NCPError{Kind: ev.f.Type, Code: ev.f.Code}
					t.Stop()
					break wait
				default:
					l.st.ignored.Add(1)
				}
			}
		}
	}
	if errors.Is(lastErr, ErrNoReset) {
		return fmt.Errorf("ash: %w after %d attempts", ErrNoReset, l.cfg.ResetAttempts)
	}
	return fmt.Errorf("ash: reset failed: %w", lastErr)
}

// run is the state goroutine of a connected link.
func (l *Link) run() {
	var err error
	defer func() {
		l.err = err
		close(l.frames)
		close(l.done)
		l.shutdown()
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var xoff *time.Timer
	var xoffC <-chan time.Time
	armed := false
	for {
		// Take new frames only while the window has room and the NCP did
		// not say XOFF.
		var txC chan []byte
		if len(l.unacked) < l.cfg.Window {
			if l.cfg.XONXOFF && l.paused.Load() {
				if xoff == nil {
					xoff = time.NewTimer(l.cfg.XOFFTimeout)
					xoffC = xoff.C
				}
			} else {
				txC = l.tx
			}
		}
		if len(l.unacked) > 0 && !armed {
			timer.Reset(l.ackTime)
			armed = true
		}
		select {
		case <-l.closing:
			err = ErrClosed
			return
		case data := <-txC:
			if err = l.sendData(data); err != nil {
				return
			}
		case <-l.flowSig:
			if xoff != nil {
				xoff.Stop()
				xoff, xoffC = nil, nil
			}
		case <-xoffC:
			l.log.Warn("no XON after XOFF, sending again", "event", "ash_xoff_timeout")
			l.paused.Store(false)
			xoff, xoffC = nil, nil
		case <-timer.C:
			armed = false
			if err = l.timeout(); err != nil {
				return
			}
		case ev := <-l.rx:
			if ev.eof {
				err = ev.err
				select {
				case <-l.closing:
					err = ErrClosed // the read failed because Close closed the port
				default:
				}
				return
			}
			acked, e := l.receive(ev)
			if e != nil {
				err = e
				return
			}
			if acked && armed {
				timer.Stop()
				armed = false
			}
		}
	}
}

func (l *Link) sendData(data []byte) error {
	o := &outFrame{data: data, frm: l.nextFrm, sent: time.Now()}
	if len(l.unacked) == 0 {
		l.ackBase = l.nextFrm
	}
	l.nextFrm = (l.nextFrm + 1) & 7
	l.unacked = append(l.unacked, o)
	l.st.dataTX.Add(1)
	return l.write(nil, Frame{Type: TypeData, FrmNum: o.frm, AckNum: l.rxNext, Data: data})
}

// timeout retransmits every unacknowledged frame and doubles the timer.
func (l *Link) timeout() error {
	l.timeouts++
	if l.timeouts > l.cfg.MaxTimeouts {
		return fmt.Errorf("ash: %w after %d retransmissions", ErrAckTimeout, l.cfg.MaxTimeouts)
	}
	l.ackTime = min(2*l.ackTime, l.cfg.AckTimeMax)
	l.log.Debug("ACK timeout, retransmitting", "event", "ash_ack_timeout", "unacked", len(l.unacked),
		"timeouts", l.timeouts, "ack_time_ms", l.ackTime.Milliseconds())
	return l.retransmit(0)
}

// retransmit writes the unacknowledged frames from index i on again.
func (l *Link) retransmit(i int) error {
	for _, o := range l.unacked[i:] {
		o.resent = true
		o.sent = time.Now()
		l.st.retx.Add(1)
		if err := l.write(nil, Frame{Type: TypeData, FrmNum: o.frm, AckNum: l.rxNext, ReTx: true, Data: o.data}); err != nil {
			return err
		}
	}
	return nil
}

// ack processes an ackNum: frames before it are acknowledged. It reports
// whether any frame was.
func (l *Link) ack(n uint8) bool {
	k := int((n - l.ackBase) & 7)
	if k > len(l.unacked) {
		l.st.badAck.Add(1)
		return false
	}
	if k == 0 {
		return false
	}
	last := l.unacked[k-1]
	if !last.resent {
		// Karn: only first transmissions measure the delay.
		rtt := time.Since(last.sent)
		t := l.ackTime*7/8 + rtt/2
		l.ackTime = max(l.cfg.AckTimeMin, min(t, l.cfg.AckTimeMax))
	}
	l.unacked = append(l.unacked[:0], l.unacked[k:]...)
	l.ackBase = n
	l.timeouts = 0
	return true
}

// receive handles one frame from the NCP.
func (l *Link) receive(ev event) (acked bool, err error) {
	if ev.err != nil {
		// A frame that does not parse gets one NAK (the reject condition).
		l.st.bad.Add(1)
		l.log.Debug("bad ASH frame", "event", "ash_bad_frame", "err", ev.err)
		return false, l.nak()
	}
	f := ev.f
	switch f.Type {
	case TypeData:
		acked = l.ack(f.AckNum)
		switch {
		case f.FrmNum == l.rxNext:
			l.rxNext = (l.rxNext + 1) & 7
			l.reject = false
			l.st.dataRX.Add(1)
			if err := l.sendAck(); err != nil {
				return acked, err
			}
			select {
			case l.frames <- f.Data:
			case <-l.closing:
				return acked, ErrClosed
			}
		case f.ReTx:
			l.st.dup.Add(1)
			return acked, l.sendAck()
		default:
			l.st.ooo.Add(1)
			return acked, l.nak()
		}
	case TypeACK:
		l.st.ackRX.Add(1)
		acked = l.ack(f.AckNum)
	case TypeNAK:
		l.st.nakRX.Add(1)
		acked = l.ack(f.AckNum)
		if len(l.unacked) > 0 {
			return acked, l.retransmit(0)
		}
	case TypeRSTACK, TypeError:
		e := &NCPError{Kind: f.Type, Code: f.Code}
		l.log.Warn("NCP reset or failed", "event", "ash_ncp_reset", "err", e)
		return false, e
	}
	return acked, nil
}

func (l *Link) sendAck() error {
	l.st.ackTX.Add(1)
	return l.write(nil, Frame{Type: TypeACK, AckNum: l.rxNext})
}

func (l *Link) nak() error {
	if l.reject {
		return nil
	}
	l.reject = true
	l.st.nakTX.Add(1)
	return l.write(nil, Frame{Type: TypeNAK, AckNum: l.rxNext})
}
