package ezsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// Protocol versions the driver drives (ezsp.md §6, §7.7).
const (
	// MinVersion is EmberZNet 7.4.
	MinVersion = 13
	// MaxVersion is the newest version zigbee-herdsman drives; v15–v19 use
	// the v14 layouts.
	MaxVersion = 19
	// DefaultCommandTimeout bounds the wait for a command's response
	// (bellows' value).
	DefaultCommandTimeout = 10 * time.Second
	// callbackQueue is the number of callbacks buffered for the driver.
	callbackQueue = 1024
)

// ConnConfig configures a Conn.
type ConnConfig struct {
	Logger *slog.Logger
	// Timeout bounds each command's response (default DefaultCommandTimeout).
	Timeout time.Duration
}

// Callback is a decoded NCP callback.
type Callback struct {
	Command *Command
	Params  Params
	Frame   Frame
}

// VersionInfo is what the version exchange reports.
type VersionInfo struct {
	Protocol     uint8
	StackType    uint8
	StackVersion uint16 // four nibbles major.minor.patch.special
}

// StackString renders the stack version, e.g. "7.4.3.0".
func (v VersionInfo) StackString() string {
	s := v.StackVersion
	return fmt.Sprintf("%d.%d.%d.%d", s>>12, s>>8&0xF, s>>4&0xF, s&0xF)
}

// Conn runs EZSP over a connected ASH link: one command in flight at a
// time, responses matched by sequence number and frame id, callbacks (fc
// bit 0x10, whatever their sequence number) delivered in order on
// Callbacks. It owns the link: Close closes it.
type Conn struct {
	link *ash.Link
	log  *slog.Logger
	cfg  ConnConfig

	version atomic.Uint32 // negotiated protocol version, 0 before Negotiate

	slot chan struct{} // holds a token while a command is in flight
	seq  uint8         // guarded by slot

	mu       sync.Mutex
	inflight *pending

	cb         *driverkit.Mailbox[Callback] // callbacks for the driver, in order
	done       chan struct{}                // closed when the dispatcher ends
	err        error
	dropped    atomic.Uint64
	unexpected atomic.Uint64
}

type pending struct {
	seq uint8
	cmd *Command
	ch  chan Frame
}

// NewConn starts the dispatcher on a connected link.
func NewConn(link *ash.Link, cfg ConnConfig) *Conn {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultCommandTimeout
	}
	c := &Conn{link: link, log: cfg.Logger, cfg: cfg, slot: make(chan struct{}, 1),
		cb: driverkit.NewMailbox[Callback](callbackQueue, 0), done: make(chan struct{})}
	go c.dispatch()
	return c
}

// Version returns the negotiated protocol version (0 before Negotiate).
func (c *Conn) Version() uint8 { return uint8(c.version.Load()) }

// Callbacks returns the callbacks in arrival order; it is closed when the
// link ends.
func (c *Conn) Callbacks() <-chan Callback { return c.cb.C() }

// Done is closed when the link has ended; Err says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Link returns the ASH link (for its counters).
func (c *Conn) Link() *ash.Link { return c.link }

// DroppedCallbacks counts callbacks dropped because the driver did not
// keep up.
func (c *Conn) DroppedCallbacks() uint64 { return c.dropped.Load() }

// Close closes the link and waits for the dispatcher.
func (c *Conn) Close() error {
	c.link.Close()
	<-c.done
	return nil
}

func (c *Conn) dispatch() {
	defer func() {
		c.err = c.link.Err()
		c.cb.Close()
		close(c.done)
	}()
	for b := range c.link.Frames() {
		v := c.Version()
		format := FormatFor(v)
		if v == 0 {
			format = DetectFormat(b)
		}
		f, err := ParseFrame(b, format)
		if err != nil {
			c.log.Warn("undecodable EZSP frame", "event", "ezsp_bad_frame", "err", err)
			continue
		}
		if !f.IsResponse() {
			c.log.Warn("EZSP frame in the command direction from the NCP", "event", "ezsp_wrong_direction", "id", f.ID)
			continue
		}
		if f.Control&FCOverflow != 0 {
			c.log.Warn("the NCP dropped callbacks for lack of memory", "event", "ezsp_callback_overflow")
		}
		if f.IsCallback() {
			c.callback(f, v)
			continue
		}
		c.mu.Lock()
		p := c.inflight
		if p != nil && p.seq == f.Seq {
			c.inflight = nil
		}
		c.mu.Unlock()
		if p == nil || p.seq != f.Seq {
			c.unexpected.Add(1)
			c.log.Warn("response to no command in flight", "event", "ezsp_late_response", "seq", f.Seq, "id", f.ID)
			continue
		}
		p.ch <- f
	}
}

func (c *Conn) callback(f Frame, v uint8) {
	cmd, p, err := Decode(f, v)
	if err != nil {
		c.log.Warn("undecodable callback", "event", "ezsp_bad_callback", "id", fmt.Sprintf("0x%04X", f.ID), "err", err)
		return
	}
	// The dispatcher never blocks on the driver (it also delivers the
	// responses the driver waits for): a burst waits in the mailbox.
	if !c.cb.Put(Callback{Command: cmd, Params: p, Frame: f}) {
		c.dropped.Add(1)
		c.log.Warn("callback dropped: the driver has not read the last callbacks", "event", "ezsp_callback_dropped",
			"cmd", cmd.Name, "queued", c.cb.Queued())
	}
}

// Negotiate runs the version exchange (ezsp.md §6): version(4) in the
// legacy header, as bellows does, then version(N) in the NCP's own header
// format. An NCP older than MinVersion fails with ErrVersion and a message
// that says which firmware to flash.
func (c *Conn) Negotiate(ctx context.Context) (VersionInfo, error) {
	c.version.Store(0)
	vi, err := c.versionCmd(ctx, 4)
	if err != nil {
		return vi, err
	}
	switch {
	case vi.StackType != 2:
		return vi, fmt.Errorf("ezsp: %w: stack type %d is not a Zigbee mesh stack", ErrVersion, vi.StackType)
	case vi.Protocol < MinVersion:
		return vi, fmt.Errorf("ezsp: %w: firmware too old: EZSP v%d (EmberZNet %s), update to EmberZNet 7.4+",
			ErrVersion, vi.Protocol, vi.StackString())
	case vi.Protocol > MaxVersion:
		return vi, fmt.Errorf("ezsp: %w: EZSP v%d (EmberZNet %s) is newer than this driver (v%d–v%d)",
			ErrVersion, vi.Protocol, vi.StackString(), MinVersion, MaxVersion)
	}
	c.version.Store(uint32(vi.Protocol))
	again, err := c.versionCmd(ctx, vi.Protocol)
	if err != nil {
		return vi, err
	}
	if again.Protocol != vi.Protocol {
		return vi, fmt.Errorf("ezsp: %w: the NCP answered version %d to version(%d)", ErrVersion, again.Protocol, vi.Protocol)
	}
	return vi, nil
}

func (c *Conn) versionCmd(ctx context.Context, want uint8) (VersionInfo, error) {
	p, err := c.Call(ctx, "version", Params{"desiredProtocolVersion": want})
	if err != nil {
		return VersionInfo{}, err
	}
	return VersionInfo{Protocol: uint8(p.Uint("protocolVersion")), StackType: uint8(p.Uint("stackType")),
		StackVersion: uint16(p.Uint("stackVersion"))}, nil
}

// Call sends the named command with parameters p and returns the decoded
// response. Only one command is in flight; callers queue. Errors:
// *InvalidCommandError, ErrTruncated, ErrUnexpectedResponse, a
// *ParamsError, zigbee.ErrTimeout, and, when the link ends, an error
// wrapping zigbee.ErrCoordinatorReset (the NCP reset or failed) or
// zigbee.ErrNetworkDown (the port failed).
func (c *Conn) Call(ctx context.Context, name string, p Params) (Params, error) {
	v := c.Version()
	lv := v
	if v == 0 {
		lv = MinVersion // only version is valid now; its layout never changed
	}
	cmd, ok := CommandByName(name, lv)
	if !ok {
		return nil, fmt.Errorf("ezsp: %s: %w in v%d", name, ErrUnknownCommand, lv)
	}
	return c.CallCommand(ctx, cmd, p)
}

// CallCommand is Call for a table entry.
func (c *Conn) CallCommand(ctx context.Context, cmd *Command, p Params) (Params, error) {
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("ezsp: %s: %w", cmd.Name, ctx.Err())
	case <-c.done:
		return nil, c.linkErr(cmd.Name)
	}
	defer func() { <-c.slot }()

	v := c.Version()
	format := FormatFor(v)
	if v == 0 {
		format, v = FormatLegacy, MinVersion
	}
	params, err := EncodeParams(nil, cmd, false, p, v)
	if err != nil {
		return nil, err
	}
	c.seq++
	f := Frame{Seq: c.seq, ID: cmd.ID, Params: params, Format: format}
	b, err := AppendFrame(make([]byte, 0, 5+len(params)), f)
	if err != nil {
		return nil, fmt.Errorf("ezsp: %s: %w", cmd.Name, err)
	}
	w := &pending{seq: f.Seq, cmd: cmd, ch: make(chan Frame, 1)}
	c.mu.Lock()
	c.inflight = w
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.inflight == w {
			c.inflight = nil
		}
		c.mu.Unlock()
	}()
	start := time.Now()
	if err := c.link.Send(ctx, b); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ezsp: %s: %w", cmd.Name, ctx.Err())
		}
		return nil, c.linkErr(cmd.Name)
	}
	t := time.NewTimer(c.cfg.Timeout)
	defer t.Stop()
	var rsp Frame
	select {
	case rsp = <-w.ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("ezsp: %s: %w", cmd.Name, ctx.Err())
	case <-t.C:
		return nil, fmt.Errorf("ezsp: %s: %w: no response in %v", cmd.Name, zigbee.ErrTimeout, c.cfg.Timeout)
	case <-c.done:
		return nil, c.linkErr(cmd.Name)
	}
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("ezsp command", "event", "ezsp_command", "cmd", cmd.Name, "seq", f.Seq,
			"elapsed_ms", time.Since(start).Milliseconds())
	}
	switch {
	case rsp.ID == 0x0058:
		reason := uint8(0)
		if len(rsp.Params) > 0 {
			reason = rsp.Params[0]
		}
		return nil, &InvalidCommandError{Command: cmd.Name, Reason: reason}
	case rsp.ID != cmd.ID:
		return nil, fmt.Errorf("ezsp: %s: %w: frame id 0x%04X", cmd.Name, ErrUnexpectedResponse, rsp.ID)
	case rsp.Control&FCTruncated != 0:
		return nil, fmt.Errorf("ezsp: %s: %w", cmd.Name, ErrTruncated)
	}
	rv := c.Version()
	if rv == 0 {
		rv = MinVersion
	}
	return DecodeParams(cmd, true, rsp.Params, rv)
}

// linkErr explains a call that failed because the link ended.
func (c *Conn) linkErr(name string) error {
	<-c.link.Done()
	err := c.link.Err()
	if _, ok := errors.AsType[*ash.NCPError](err); ok {
		return fmt.Errorf("ezsp: %s: %w: %w", name, zigbee.ErrCoordinatorReset, err)
	}
	if errors.Is(err, ash.ErrAckTimeout) {
		return fmt.Errorf("ezsp: %s: %w: %w", name, zigbee.ErrCoordinatorReset, err)
	}
	return fmt.Errorf("ezsp: %s: %w: %w", name, zigbee.ErrNetworkDown, err)
}
