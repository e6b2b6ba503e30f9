package ezsp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/ezsp/ash"
)

// Driver defaults.
const (
	// DefaultMaxTransactions bounds concurrent Send and ZDORequest calls
	// (the NCP's APS unicast queue holds 10).
	DefaultMaxTransactions = 8
	// DefaultConfirmTimeout bounds the wait for messageSentHandler of a
	// unicast (APS retries take up to ~8 s on a sleepy child).
	DefaultConfirmTimeout = 10 * time.Second
	// DefaultGroupConfirmTimeout bounds it for groups and broadcasts.
	DefaultGroupConfirmTimeout = 3 * time.Second
	// DefaultZDOTimeout bounds the wait for a ZDO response.
	DefaultZDOTimeout = 10 * time.Second
	// DefaultNetworkTimeout bounds the wait for stackStatusHandler after
	// networkInit, formNetwork and leaveNetwork (herdsman: 10 s).
	DefaultNetworkTimeout = 30 * time.Second
	// DefaultReconnectDelay is the first wait before reopening the port;
	// it doubles up to DefaultMaxReconnectDelay.
	DefaultReconnectDelay    = time.Second
	DefaultMaxReconnectDelay = 30 * time.Second
	// busyRetries and busyBackoff handle an NCP whose message queue is
	// full (herdsman: 3 attempts, 500 ms apart; ezsp.md §11).
	busyRetries = 3
	busyBackoff = 500 * time.Millisecond
)

// EndpointConfig describes an application endpoint the driver registers on
// the NCP with addEndpoint.
type EndpointConfig struct {
	Endpoint      zigbee.Endpoint
	Profile       zigbee.ProfileID
	DeviceID      uint16
	DeviceVersion uint8
	InClusters    []zigbee.ClusterID
	OutClusters   []zigbee.ClusterID
	// Groups are multicast table entries for this endpoint.
	Groups []uint16
}

// DefaultEndpoints are registered when Config.Endpoints is nil: endpoint 1
// for Home Automation and 242 for Green Power with its multicast group, as
// herdsman registers them (ezsp.md §9.1 #19–#25).
func DefaultEndpoints() []EndpointConfig {
	return []EndpointConfig{
		{Endpoint: 1, Profile: zigbee.ProfileHA, DeviceID: 0x0065, DeviceVersion: 1,
			InClusters:  []zigbee.ClusterID{0x0000, 0x0003, 0x0006, 0x000A, 0x0019, 0x0501},
			OutClusters: []zigbee.ClusterID{0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0020, 0x0300, 0x0500, 0x0502},
			Groups:      []uint16{0x0000}},
		{Endpoint: 242, Profile: zigbee.ProfileGP, DeviceID: 0x0066, DeviceVersion: 1,
			InClusters: []zigbee.ClusterID{0x0021}, OutClusters: []zigbee.ClusterID{0x0021}, Groups: []uint16{0x0B84}},
	}
}

// Config configures a Driver. Zero fields take the defaults above.
type Config struct {
	// Open opens the link to the NCP, e.g. a closure over zigbee.OpenPort.
	// It is called again after every link loss. Required.
	Open func(ctx context.Context) (io.ReadWriteCloser, error)
	// Network is what the configuration asks for (see Run).
	Network zigbee.NetworkConfig
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// BackupPath, when set, is an Open Coordinator Backup file: written
	// (mode 0600) after the network is formed or restored and when it is
	// missing at start; a blank NCP is restored from it when it matches
	// Network.
	BackupPath string
	// BackupSource is the metadata.source written into backups.
	BackupSource string
	// TxPower sets the radio power in dBm when not nil.
	TxPower *int8
	// Endpoints to register; nil means DefaultEndpoints.
	Endpoints []EndpointConfig
	// MaxTransactions bounds concurrent Send and ZDORequest calls (≤ 200).
	MaxTransactions int
	// ASH configures the link layer (timers, flow control).
	ASH ash.Config

	CommandTimeout      time.Duration // one EZSP command (DefaultCommandTimeout)
	ConfirmTimeout      time.Duration
	GroupConfirmTimeout time.Duration
	ZDOTimeout          time.Duration
	NetworkTimeout      time.Duration
	ReconnectDelay      time.Duration
	MaxReconnectDelay   time.Duration

	// Rand is the source of PAN ids and keys; nil means crypto/rand.
	Rand io.Reader
}

// Driver is a zigbee.Coordinator for Silicon Labs EmberZNet NCPs speaking
// EZSP v13 (EmberZNet 7.4) or newer.
type Driver struct {
	cfg    Config
	log    *slog.Logger
	events chan zigbee.Event
	txSem  chan struct{}
	ran    atomic.Bool

	restoreCh chan restoreRequest
	pjKick    chan struct{}

	emitMu       sync.RWMutex
	eventsClosed bool
	stopping     chan struct{}

	mu      sync.Mutex
	running bool
	sess    *session // the session whose network is up
	info    zigbee.NetworkInfo
	forced  bool
	pjUntil time.Time
	pjVia   zigbee.NWK
	tags    [256]bool
	nextTag uint8
	zdoTSN  uint8
}

var _ zigbee.Coordinator = (*Driver)(nil)

// Errors of the driver.
var (
	// ErrUnsupportedFirmware means the NCP runs an EZSP version the driver
	// does not drive.
	ErrUnsupportedFirmware = fmt.Errorf("unsupported EmberZNet firmware: %w", zigbee.ErrUnsupported)
	// ErrConfig means the Config is invalid.
	ErrConfig = errors.New("invalid driver configuration")
	// errRestoring is the NetworkDown reason while a backup is restored.
	errRestoring = errors.New("restoring a coordinator backup")
)

// New validates cfg and returns a driver. It does no I/O.
func New(cfg Config) (*Driver, error) {
	n := cfg.Network
	switch {
	case cfg.Open == nil:
		return nil, fmt.Errorf("ezsp: %w: Open is required", ErrConfig)
	case n.Channel != 0 && !n.Channel.Valid():
		return nil, fmt.Errorf("ezsp: %w: channel %d is outside 11–26", ErrConfig, n.Channel)
	case n.PANID != 0 && !n.PANID.Valid():
		return nil, fmt.Errorf("ezsp: %w: PAN id %v is reserved", ErrConfig, n.PANID)
	case n.ExtPANID == 0xFFFFFFFFFFFFFFFF:
		return nil, fmt.Errorf("ezsp: %w: extended PAN id %v is reserved", ErrConfig, n.ExtPANID)
	case n.GenerateKey && !n.Key.IsZero():
		return nil, fmt.Errorf("ezsp: %w: a network key and generate_key are both set", ErrConfig)
	case !n.Key.IsZero() && n.Key.IsWellKnown():
		return nil, fmt.Errorf("ezsp: %w: the network key is a published default key; remove it to generate a random one", ErrConfig)
	}
	for _, e := range cfg.Endpoints {
		if e.Endpoint == 0 || e.Endpoint > 242 {
			return nil, fmt.Errorf("ezsp: %w: endpoint %d is outside 1–242", ErrConfig, e.Endpoint)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BackupSource == "" {
		cfg.BackupSource = "zhub"
	}
	if cfg.Endpoints == nil {
		cfg.Endpoints = DefaultEndpoints()
	}
	if cfg.ASH.Logger == nil {
		cfg.ASH.Logger = cfg.Logger
	}
	setDefault(&cfg.MaxTransactions, DefaultMaxTransactions)
	cfg.MaxTransactions = min(cfg.MaxTransactions, 200)
	setDefault(&cfg.CommandTimeout, DefaultCommandTimeout)
	setDefault(&cfg.ConfirmTimeout, DefaultConfirmTimeout)
	setDefault(&cfg.GroupConfirmTimeout, DefaultGroupConfirmTimeout)
	setDefault(&cfg.ZDOTimeout, DefaultZDOTimeout)
	setDefault(&cfg.NetworkTimeout, DefaultNetworkTimeout)
	setDefault(&cfg.ReconnectDelay, DefaultReconnectDelay)
	setDefault(&cfg.MaxReconnectDelay, DefaultMaxReconnectDelay)
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Driver{
		cfg:       cfg,
		log:       cfg.Logger,
		events:    make(chan zigbee.Event, 256),
		txSem:     make(chan struct{}, cfg.MaxTransactions),
		restoreCh: make(chan restoreRequest),
		pjKick:    make(chan struct{}, 1),
		stopping:  make(chan struct{}),
		nextTag:   1,
	}, nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Events returns the event stream. It is closed when Run returns.
func (d *Driver) Events() <-chan zigbee.Event { return d.events }

// Info returns the network the NCP runs and whether it is up.
func (d *Driver) Info() (zigbee.NetworkInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.info, d.sess != nil
}

// Run opens the link, resumes or forms the network, delivers events and
// reconnects after link loss, an NCP reset or an ASH failure, until ctx is
// cancelled; then it returns nil. A missing port or a failed start is
// logged, reported as NetworkDown and retried with a doubling delay capped
// at MaxReconnectDelay.
//
// On every start the driver resumes the network the NCP holds when it
// matches Network: channel, PAN id, extended PAN id and key each match when
// the configuration leaves them zero or names the same value. Otherwise, or
// with ForceForm (once per Driver), it leaves that network and forms a new
// one; a blank NCP with a matching BackupPath file is restored instead.
func (d *Driver) Run(ctx context.Context) error {
	if !d.ran.CompareAndSwap(false, true) {
		return errors.New("ezsp: Run called twice")
	}
	defer func() {
		close(d.stopping)
		d.emitMu.Lock()
		d.eventsClosed = true
		close(d.events)
		d.emitMu.Unlock()
	}()
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()
	delay := d.cfg.ReconnectDelay
	reportedDown := false
	for {
		start := time.Now()
		wasUp, err := d.runSession(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if wasUp {
			delay = d.cfg.ReconnectDelay
			reportedDown = false
		}
		var pe *zigbee.PortError
		switch {
		case errors.As(err, &pe):
			d.log.Error("cannot open the coordinator port", "event", "port_open_failed", "err", err, "retry_in", delay.String())
		case wasUp:
			d.log.Error("coordinator link lost", "event", "network_down", "err", err, "retry_in", delay.String())
		default:
			d.log.Error("coordinator start failed", "event", "start_failed", "err", err,
				"elapsed_ms", time.Since(start).Milliseconds(), "retry_in", delay.String())
		}
		if !reportedDown {
			d.emit(ctx, zigbee.NetworkDown{Err: err})
			reportedDown = true
		}
		wait := delay
		if wasUp {
			// A reset NCP (watchdog, ASH failure) answers again at once.
			wait = min(delay, 100*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if !wasUp {
			delay = min(2*delay, d.cfg.MaxReconnectDelay)
		}
	}
}

// emit delivers an event unless ctx ends or Run returns first.
func (d *Driver) emit(ctx context.Context, ev zigbee.Event) {
	d.emitMu.RLock()
	defer d.emitMu.RUnlock()
	if d.eventsClosed {
		return
	}
	select {
	case d.events <- ev:
	case <-ctx.Done():
	case <-d.stopping:
	}
}

// active returns the session whose network is up.
func (d *Driver) active() (*session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !d.running:
		return nil, fmt.Errorf("ezsp: %w", zigbee.ErrNotRunning)
	case d.sess == nil:
		return nil, fmt.Errorf("ezsp: %w", zigbee.ErrNetworkDown)
	}
	return d.sess, nil
}

func (d *Driver) acquire(ctx context.Context) error {
	select {
	case d.txSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Driver) release() { <-d.txSem }

// allocTag returns a message tag (1–255) not in use; tags fit the u8 of
// v13 and the u16 of v14.
func (d *Driver) allocTag() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	for range 255 {
		t := d.nextTag
		d.nextTag++
		if d.nextTag == 0 {
			d.nextTag = 1
		}
		if !d.tags[t] {
			d.tags[t] = true
			return t
		}
	}
	return d.nextTag
}

func (d *Driver) freeTag(t uint8) {
	d.mu.Lock()
	d.tags[t] = false
	d.mu.Unlock()
}

// session is one connection to the NCP: from open to link loss.
type session struct {
	d    *Driver
	c    *Conn
	log  *slog.Logger
	vi   VersionInfo
	fw   zigbee.Firmware
	info zigbee.NetworkInfo
	eps  map[zigbee.Endpoint]zigbee.ProfileID

	mu      sync.Mutex
	waiters []*cbWaiter
	down    chan error // stackStatusHandler NETWORK_DOWN while up

	evMu   sync.Mutex
	evq    []zigbee.Event
	evSig  chan struct{}
	upFlag atomic.Bool
}

// cbWaiter waits for callbacks that match.
type cbWaiter struct {
	match func(Callback) bool
	ch    chan Callback
}

// expect registers a waiter for one callback; register before the command
// whose callback it waits for.
func (s *session) expect(match func(Callback) bool) *cbWaiter {
	w := &cbWaiter{match: match, ch: make(chan Callback, 1)}
	s.mu.Lock()
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	return w
}

func (s *session) cancel(w *cbWaiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.waiters {
		if x == w {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return
		}
	}
}

// wait waits for w's callback, at most timeout.
func (s *session) wait(ctx context.Context, w *cbWaiter, timeout time.Duration, what string) (Callback, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case cb := <-w.ch:
		return cb, nil
	case <-ctx.Done():
		s.cancel(w)
		return Callback{}, ctx.Err()
	case <-t.C:
		s.cancel(w)
		return Callback{}, fmt.Errorf("ezsp: %s: %w after %v", what, zigbee.ErrTimeout, timeout)
	case <-s.c.Done():
		s.cancel(w)
		return Callback{}, s.c.linkErr(what)
	}
}

// runSession opens the port and runs one session; wasUp reports whether
// the network came up.
func (d *Driver) runSession(ctx context.Context) (wasUp bool, err error) {
	rwc, err := d.cfg.Open(ctx)
	if err != nil {
		return false, fmt.Errorf("ezsp: open: %w", err)
	}
	link, err := ash.Connect(ctx, rwc, d.cfg.ASH)
	if err != nil {
		return false, fmt.Errorf("ezsp: %w", err)
	}
	c := NewConn(link, ConnConfig{Logger: d.log, Timeout: d.cfg.CommandTimeout})
	s := &session{d: d, c: c, log: d.log, eps: map[zigbee.Endpoint]zigbee.ProfileID{},
		down: make(chan error, 1), evSig: make(chan struct{}, 1)}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		c.Close()
		wg.Wait()
		d.mu.Lock()
		if d.sess == s {
			d.sess = nil
		}
		d.mu.Unlock()
	}()
	wg.Go(func() { s.dispatch() })
	wg.Go(func() { s.emitter(sctx) })

	start := time.Now()
	if err := s.start(sctx); err != nil {
		return false, err
	}
	s.up(sctx, start)
	return true, s.serve(sctx)
}

// up publishes the session's network and emits NetworkUp.
func (s *session) up(ctx context.Context, start time.Time) {
	d := s.d
	s.upFlag.Store(true)
	d.mu.Lock()
	d.sess = s
	d.info = s.info
	d.mu.Unlock()
	i := s.info
	s.log.Info("network up", "event", "network_up", "channel", int(i.Channel), "pan_id", i.PANID.String(),
		"ext_pan_id", i.ExtPANID.String(), "ieee", i.IEEE.String(), "formed", i.Formed,
		"firmware", i.Firmware.Product, "protocol", i.Firmware.Protocol, "elapsed_ms", time.Since(start).Milliseconds())
	d.emit(ctx, zigbee.NetworkUp{Info: i})
}

// withdraw takes the session's network down (the caller emits NetworkDown).
func (s *session) withdraw() {
	s.upFlag.Store(false)
	s.d.mu.Lock()
	if s.d.sess == s {
		s.d.sess = nil
	}
	s.d.mu.Unlock()
}

// serve runs while the network is up.
func (s *session) serve(ctx context.Context) error {
	d := s.d
	pj := time.NewTimer(time.Hour)
	pj.Stop()
	defer pj.Stop()
	s.renewPermitJoin(ctx)
	if next, ok := d.permitJoinWake(); ok {
		pj.Reset(max(time.Until(next), 0))
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.c.Done():
			return s.c.linkErr("link")
		case err := <-s.down:
			return err
		case req := <-d.restoreCh:
			s.withdraw()
			d.emit(ctx, zigbee.NetworkDown{Err: errRestoring})
			start := time.Now()
			err := s.restore(ctx, req.backup)
			if err == nil {
				err = s.finish(ctx, true, false)
			}
			req.done <- err
			if err != nil {
				return err
			}
			s.up(ctx, start)
		case <-d.pjKick:
		case <-pj.C:
			s.renewPermitJoin(ctx)
		}
		if next, ok := d.permitJoinWake(); ok {
			pj.Reset(max(time.Until(next), 0))
		} else {
			pj.Stop()
		}
	}
}

// dispatch routes callbacks: waiters first, then events, until the link
// ends. It never blocks on the event consumer (emitter does).
func (s *session) dispatch() {
	for cb := range s.c.Callbacks() {
		if s.offer(cb) {
			continue
		}
		s.handle(cb)
	}
}

// offer hands cb to the first matching waiter.
func (s *session) offer(cb Callback) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range s.waiters {
		if w.match(cb) {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			w.ch <- cb
			return true
		}
	}
	return false
}

// queue appends an event for the emitter.
func (s *session) queue(ev zigbee.Event) {
	s.evMu.Lock()
	s.evq = append(s.evq, ev)
	s.evMu.Unlock()
	select {
	case s.evSig <- struct{}{}:
	default:
	}
}

// emitter delivers queued events in order.
func (s *session) emitter(ctx context.Context) {
	for {
		s.evMu.Lock()
		q := s.evq
		s.evq = nil
		s.evMu.Unlock()
		for _, ev := range q {
			s.d.emit(ctx, ev)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.evSig:
		}
	}
}
