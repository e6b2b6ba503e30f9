package znp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// Default timeouts (protocol/znp.md §3.1, herdsman's values).
const (
	// DefaultSREQTimeout bounds the wait for an SRSP.
	DefaultSREQTimeout = 6 * time.Second
	// DefaultStartTimeout bounds the SRSP of ZDO_STARTUP_FROM_APP and
	// APP_CNF_BDB_START_COMMISSIONING, which real sticks answer late.
	DefaultStartTimeout = 40 * time.Second
)

// connConfig configures a conn. Zero fields take the defaults above.
type connConfig struct {
	Logger       *slog.Logger
	SREQTimeout  time.Duration
	StartTimeout time.Duration
	// CallbackBuffer is the channel buffer for AREQs nobody waits for
	// (default 256); beyond it up to driverkit.DefaultMailboxMax more wait
	// in order before any is dropped.
	CallbackBuffer int
	// CallbackQueue is how many more wait beyond the buffer before one is
	// dropped (default driverkit.DefaultMailboxMax).
	CallbackQueue int
}

// Stats counts what a connection saw on the link.
type Stats struct {
	FramesRX uint64 // valid frames received
	FramesTX uint64 // frames written
	// GarbageBytes counts bytes skipped while resynchronising, including
	// the SOF bytes of candidates rejected for a bad FCS or length.
	GarbageBytes uint64
	BadFCS       uint64 // candidate frames with a wrong checksum
	TooLong      uint64 // SOF bytes followed by a length above 250
	// Unmatched counts SRSPs that answered no request in flight (late or
	// stale replies); they are dropped.
	Unmatched uint64
	// DroppedCallbacks counts AREQs dropped because the driver left more
	// than CallbackBuffer + CallbackQueue of them unread.
	DroppedCallbacks uint64
	// Resets counts SYS_RESET_IND frames that nobody expected.
	Resets uint64
}

func (s Stats) add(o Stats) Stats {
	return Stats{
		FramesRX: s.FramesRX + o.FramesRX, FramesTX: s.FramesTX + o.FramesTX,
		GarbageBytes: s.GarbageBytes + o.GarbageBytes, BadFCS: s.BadFCS + o.BadFCS,
		TooLong: s.TooLong + o.TooLong, Unmatched: s.Unmatched + o.Unmatched,
		DroppedCallbacks: s.DroppedCallbacks + o.DroppedCallbacks, Resets: s.Resets + o.Resets,
	}
}

// errConnClosed is the reason a conn gives after Close.
var errConnClosed = errors.New("connection closed")

// result is what a waiter receives: a frame or the reason there is none.
type result struct {
	f   Frame
	err error
}

// waiter waits for one frame. SRSP waiters are matched by the request
// header; AREQ waiters by their match function.
type waiter struct {
	match     func(Frame) bool
	req       Header // SRSP waiters: the request
	sensitive bool   // SRSP waiters: redact the answer in logs
	ch        chan result
}

// conn owns the byte stream to a ZNP: one reader goroutine that splits and
// dispatches frames, serialised writes, one SREQ in flight, and AREQ
// waiters. It never retries; the driver decides what a failure means.
type conn struct {
	rwc   io.ReadWriteCloser
	log   *slog.Logger
	debug bool
	cfg   connConfig

	slot chan struct{} // holds a token while an SREQ is in flight

	wmu  sync.Mutex // serialises writes
	wbuf []byte

	mu      sync.Mutex
	sreqW   *waiter   // the SREQ in flight
	waiters []*waiter // AREQ waiters in registration order
	err     error     // why the conn ended; set once
	dead    chan struct{}

	cb         *driverkit.Mailbox[Frame] // AREQs nobody waited for; closed when the reader exits
	readerDone chan struct{}             // closed when the reader goroutine has returned
	closeOnce  sync.Once

	split Splitter // used by the reader goroutine only
	st    struct {
		rx, tx, garbage, badFCS, tooLong, unmatched, dropped, resets atomic.Uint64
	}
}

// newConn starts the reader goroutine on rwc. The conn owns rwc from now
// on: Close (or a read error) closes it.
func newConn(rwc io.ReadWriteCloser, cfg connConfig) *conn {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SREQTimeout <= 0 {
		cfg.SREQTimeout = DefaultSREQTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if cfg.CallbackBuffer <= 0 {
		cfg.CallbackBuffer = 256
	}
	c := &conn{
		rwc:        rwc,
		log:        cfg.Logger,
		debug:      cfg.Logger.Enabled(context.Background(), slog.LevelDebug),
		cfg:        cfg,
		slot:       make(chan struct{}, 1),
		wbuf:       make([]byte, 0, MaxFrameSize),
		dead:       make(chan struct{}),
		cb:         driverkit.NewMailbox[Frame](cfg.CallbackBuffer, cfg.CallbackQueue),
		readerDone: make(chan struct{}),
	}
	go c.readLoop()
	return c
}

// Close closes the link, fails everything in flight and waits for the
// reader goroutine.
func (c *conn) Close() error {
	c.fail(errConnClosed)
	<-c.readerDone
	return nil
}

// Done is closed when the conn has ended; Err then says why.
func (c *conn) Done() <-chan struct{} { return c.dead }

// Err returns why the conn ended, or nil while it is alive.
func (c *conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Callbacks delivers the AREQs no waiter claimed, in arrival order. It is
// closed when the reader goroutine exits.
func (c *conn) Callbacks() <-chan Frame { return c.cb.C() }

// Stats returns the counters.
func (c *conn) Stats() Stats {
	return Stats{
		FramesRX: c.st.rx.Load(), FramesTX: c.st.tx.Load(),
		GarbageBytes: c.st.garbage.Load(), BadFCS: c.st.badFCS.Load(), TooLong: c.st.tooLong.Load(),
		Unmatched: c.st.unmatched.Load(), DroppedCallbacks: c.st.dropped.Load(), Resets: c.st.resets.Load(),
	}
}

// fail ends the conn with err (the first reason wins), closes the port and
// fails every waiter at once.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	ws := c.waiters
	c.waiters = nil
	if c.sreqW != nil {
		ws = append(ws, c.sreqW)
		c.sreqW = nil
	}
	close(c.dead)
	c.mu.Unlock()
	c.closeOnce.Do(func() { c.rwc.Close() })
	for _, w := range ws {
		w.ch <- result{err: err}
	}
}

func (c *conn) readLoop() {
	defer close(c.readerDone)
	defer c.cb.Close()
	sc := bufio.NewScanner(c.rwc)
	sc.Buffer(make([]byte, 0, 1024), 4096)
	sc.Split(c.split.Split)
	for sc.Scan() {
		c.noteResync()
		f, err := ParseFrame(sc.Bytes())
		if err != nil {
			continue // cannot happen: the splitter only yields valid frames
		}
		f.Payload = bytes.Clone(f.Payload)
		c.st.rx.Add(1)
		c.dispatch(f)
	}
	c.noteResync()
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	c.fail(fmt.Errorf("link lost: %w: %w", zigbee.ErrNetworkDown, err))
}

// noteResync publishes the splitter's counters and logs what was skipped
// since the last frame.
func (c *conn) noteResync() {
	g := c.split.Garbage - c.st.garbage.Load()
	if g == 0 {
		return
	}
	fcs := c.split.BadFCS - c.st.badFCS.Load()
	long := c.split.TooLong - c.st.tooLong.Load()
	c.st.garbage.Store(c.split.Garbage)
	c.st.badFCS.Store(c.split.BadFCS)
	c.st.tooLong.Store(c.split.TooLong)
	c.log.Debug("skipped bytes before frame", "event", "frame_resync",
		"bytes", g, "bad_fcs", fcs, "too_long", long)
}

func (c *conn) dispatch(f Frame) {
	switch f.Type {
	case SRSP:
		c.dispatchSRSP(f)
	case AREQ:
		if c.debug {
			c.logFrame("frame_rx", f, false)
		}
		if f.Header == cmdSysResetInd {
			c.dispatchReset(f)
			return
		}
		c.mu.Lock()
		var got []*waiter
		kept := c.waiters[:0]
		for _, w := range c.waiters {
			if w.match(f) {
				got = append(got, w)
			} else {
				kept = append(kept, w)
			}
		}
		clear(c.waiters[len(kept):])
		c.waiters = kept
		c.mu.Unlock()
		for _, w := range got {
			w.ch <- result{f: f}
		}
		if len(got) == 0 {
			c.callback(f)
		}
	default:
		if c.debug {
			c.logFrame("frame_rx", f, false)
		}
		c.st.unmatched.Add(1)
		c.log.Warn("unexpected frame type from ZNP", "event", "frame_unmatched", "cmd", f.Header.String())
	}
}

func (c *conn) dispatchSRSP(f Frame) {
	c.mu.Lock()
	w := c.sreqW
	var r result
	switch {
	case w == nil:
	case f.Subsystem == w.req.Subsystem && f.ID == w.req.ID:
		r.f = f
	default:
		if re, ok := ParseRPCError(f); ok && re.Request == w.req {
			r.err = re
		} else {
			w = nil
		}
	}
	if w != nil {
		c.sreqW = nil
	}
	c.mu.Unlock()
	if c.debug {
		c.logFrame("frame_rx", f, w != nil && w.sensitive)
	}
	if w == nil {
		c.st.unmatched.Add(1)
		c.log.Warn("dropped SRSP that answers no request in flight", "event", "frame_unmatched", "cmd", cmdName(f.Header))
		return
	}
	w.ch <- r
}

// dispatchReset handles SYS_RESET_IND: the ZNP dropped everything it was
// doing, so every request in flight fails with ErrCoordinatorReset except
// the waiters that asked for the reset. A reset nobody asked for also goes
// to the driver as a callback.
func (c *conn) dispatchReset(f Frame) {
	c.mu.Lock()
	var got, lost []*waiter
	for _, w := range c.waiters {
		if w.match(f) {
			got = append(got, w)
		} else {
			lost = append(lost, w)
		}
	}
	c.waiters = nil
	if c.sreqW != nil {
		lost = append(lost, c.sreqW)
		c.sreqW = nil
	}
	c.mu.Unlock()
	for _, w := range got {
		w.ch <- result{f: f}
	}
	for _, w := range lost {
		w.ch <- result{err: zigbee.ErrCoordinatorReset}
	}
	if len(got) == 0 {
		c.st.resets.Add(1)
		c.log.Warn("coordinator reset unexpectedly", "event", "coordinator_reset", "failed_requests", len(lost))
		c.callback(f)
	}
}

// callback hands an AREQ to the driver without blocking the reader (which
// must go on delivering the replies the driver may be waiting for); a burst
// the driver cannot take at once waits in the mailbox, in order.
func (c *conn) callback(f Frame) {
	if !c.cb.Put(f) {
		c.st.dropped.Add(1)
		c.log.Warn("dropped callback: the driver has not read the last callbacks", "event", "callback_dropped",
			"cmd", cmdName(f.Header), "queued", c.cb.Queued())
	}
}

func (c *conn) logFrame(event string, f Frame, redact bool) {
	data := "[redacted]"
	if !redact {
		data = hex.EncodeToString(f.Payload)
	}
	c.log.Debug("frame", "event", event, "cmd", cmdName(f.Header), "type", f.Type.String(), "data", data)
}

// write encodes and writes one frame. A write error ends the conn.
func (c *conn) write(f Frame, redact bool) error {
	c.wmu.Lock()
	var err error
	c.wbuf, err = AppendFrame(c.wbuf[:0], f)
	if err == nil {
		if c.debug {
			c.logFrame("frame_tx", f, redact)
		}
		_, err = c.rwc.Write(c.wbuf)
	}
	c.wmu.Unlock()
	if err == nil {
		c.st.tx.Add(1)
	}
	return c.wrote(err)
}

// writeRaw writes bytes that are not a frame (the bootloader-skip byte).
func (c *conn) writeRaw(b []byte) error {
	c.wmu.Lock()
	if c.debug {
		c.log.Debug("raw bytes", "event", "frame_tx", "data", hex.EncodeToString(b))
	}
	_, err := c.rwc.Write(b)
	c.wmu.Unlock()
	return c.wrote(err)
}

// wrote ends the conn after a failed write.
func (c *conn) wrote(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrFrameTooLong):
		return err // an oversized frame never reached the port
	}
	err = fmt.Errorf("link lost: %w: write: %w", zigbee.ErrNetworkDown, err)
	c.fail(err)
	return err
}

// timeoutFor returns the SRSP timeout of a request: the configured start
// timeout for the commands whose table entry asks for a long one, else the
// SREQ timeout.
func (c *conn) timeoutFor(h Header) time.Duration {
	if cmd, ok := Lookup(h); ok && cmd.SRSPTimeout > c.cfg.SREQTimeout {
		return c.cfg.StartTimeout
	}
	return c.cfg.SREQTimeout
}

// request sends an SREQ and returns its SRSP, waiting at most the
// command's timeout (and ctx).
func (c *conn) request(ctx context.Context, f Frame) (Frame, error) {
	return c.requestTimeout(ctx, f, c.timeoutFor(f.Header))
}

// requestTimeout sends an SREQ and returns its SRSP. Only one SREQ is in
// flight: callers queue for the slot. The SRSP waiter is registered before
// the write, so a fast answer cannot be missed. An RPC-error answer returns
// a *RejectedError (errors.Is ErrRPC).
func (c *conn) requestTimeout(ctx context.Context, f Frame, timeout time.Duration) (Frame, error) {
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), ctx.Err())
	case <-c.dead:
		return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), c.Err())
	}
	defer func() { <-c.slot }()

	w := &waiter{req: f.Header, sensitive: sensitive(f), ch: make(chan result, 1)}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), err)
	}
	c.sreqW = w
	c.mu.Unlock()
	defer c.dropSREQ(w)

	if err := c.write(f, w.sensitive); err != nil {
		return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-w.ch:
		var re *RejectedError
		switch {
		case errors.As(r.err, &re):
			return Frame{}, re // names the request already
		case r.err != nil:
			return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), r.err)
		}
		return r.f, nil
	case <-t.C:
		return Frame{}, fmt.Errorf("znp: %s: no response within %v: %w", cmdName(f.Header), timeout, zigbee.ErrTimeout)
	case <-ctx.Done():
		return Frame{}, fmt.Errorf("znp: %s: %w", cmdName(f.Header), ctx.Err())
	}
}

func (c *conn) dropSREQ(w *waiter) {
	c.mu.Lock()
	if c.sreqW == w {
		c.sreqW = nil
	}
	c.mu.Unlock()
}

// expect registers a waiter for the first AREQ that match accepts. Register
// it before sending the request that causes the AREQ, then call wait; call
// cancel when giving up without waiting.
func (c *conn) expect(match func(Frame) bool) *waiter {
	w := &waiter{match: match, ch: make(chan result, 1)}
	c.mu.Lock()
	if c.err != nil {
		w.ch <- result{err: c.err}
	} else {
		c.waiters = append(c.waiters, w)
	}
	c.mu.Unlock()
	return w
}

// cancel unregisters w if it is still waiting.
func (c *conn) cancel(w *waiter) {
	c.mu.Lock()
	for i, x := range c.waiters {
		if x == w {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			break
		}
	}
	c.mu.Unlock()
}

// wait waits for w's frame for at most timeout (and ctx); what names the
// awaited frame in errors. It unregisters w on every path.
func (c *conn) wait(ctx context.Context, w *waiter, timeout time.Duration, what string) (Frame, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-w.ch:
		if r.err != nil {
			return Frame{}, fmt.Errorf("znp: waiting for %s: %w", what, r.err)
		}
		return r.f, nil
	case <-t.C:
		c.cancel(w)
		return Frame{}, fmt.Errorf("znp: no %s within %v: %w", what, timeout, zigbee.ErrTimeout)
	case <-ctx.Done():
		c.cancel(w)
		return Frame{}, fmt.Errorf("znp: waiting for %s: %w", what, ctx.Err())
	}
}

// send writes an AREQ to the ZNP (SYS_RESET_REQ); there is no answer frame.
func (c *conn) send(f Frame) error {
	if err := c.Err(); err != nil {
		return fmt.Errorf("znp: %s: %w", cmdName(f.Header), err)
	}
	if err := c.write(f, false); err != nil {
		return fmt.Errorf("znp: %s: %w", cmdName(f.Header), err)
	}
	return nil
}
