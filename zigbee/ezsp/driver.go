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
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
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
	cfg        Config
	log        *slog.Logger
	life       driverkit.Lifecycle
	events     *driverkit.Events
	txSem      driverkit.Slots
	restores   *driverkit.Restores
	joining    driverkit.Joining
	backupFile driverkit.BackupFile

	mu      sync.Mutex
	running bool
	sess    *session // the session whose network is up
	info    zigbee.NetworkInfo
	forced  bool      // Network.ForceForm has been applied
	pjUntil time.Time // permit join open until (zero: closed)
	pjVia   zigbee.NWK
	tags    driverkit.IDs // message tags in use
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
)

// New validates cfg and returns a driver. It does no I/O.
func New(cfg Config) (*Driver, error) {
	if cfg.Open == nil {
		return nil, fmt.Errorf("ezsp: %w: Open is required", ErrConfig)
	}
	if err := driverkit.CheckNetwork(cfg.Network); err != nil {
		return nil, fmt.Errorf("ezsp: %w: %w", ErrConfig, err)
	}
	for _, e := range cfg.Endpoints {
		if err := driverkit.CheckEndpoint(e.Endpoint); err != nil {
			return nil, fmt.Errorf("ezsp: %w: %w", ErrConfig, err)
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
	driverkit.SetDefault(&cfg.MaxTransactions, DefaultMaxTransactions)
	cfg.MaxTransactions = min(cfg.MaxTransactions, 200)
	driverkit.SetDefault(&cfg.CommandTimeout, DefaultCommandTimeout)
	driverkit.SetDefault(&cfg.ConfirmTimeout, DefaultConfirmTimeout)
	driverkit.SetDefault(&cfg.GroupConfirmTimeout, DefaultGroupConfirmTimeout)
	driverkit.SetDefault(&cfg.ZDOTimeout, DefaultZDOTimeout)
	driverkit.SetDefault(&cfg.NetworkTimeout, DefaultNetworkTimeout)
	driverkit.SetDefault(&cfg.ReconnectDelay, DefaultReconnectDelay)
	driverkit.SetDefault(&cfg.MaxReconnectDelay, DefaultMaxReconnectDelay)
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	d := &Driver{
		cfg:        cfg,
		log:        cfg.Logger,
		events:     driverkit.NewEvents(256),
		txSem:      make(driverkit.Slots, cfg.MaxTransactions),
		restores:   driverkit.NewRestores("ezsp"),
		backupFile: driverkit.BackupFile{Name: "ezsp", Path: cfg.BackupPath, Network: cfg.Network, Log: cfg.Logger},
		nextTag:    1,
	}
	// A reset NCP (watchdog, ASH failure) answers again at once: after a
	// session whose network was up, retry within 100 ms.
	d.life = driverkit.Lifecycle{Name: "ezsp", Log: d.log, Events: d.events, Running: d.setRunning, Session: d.runSession,
		Backoff: driverkit.Backoff{Initial: cfg.ReconnectDelay, Max: cfg.MaxReconnectDelay, AfterUp: 100 * time.Millisecond}}
	// The NCP's trust-center policy stays open until told otherwise.
	d.joining = driverkit.Joining{Window: window{d}, Events: d.events, Log: d.log, CloseAtEnd: true}
	return d, nil
}

// Events returns the event stream. It is closed when Run returns.
func (d *Driver) Events() <-chan zigbee.Event { return d.events.C() }

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
func (d *Driver) Run(ctx context.Context) error { return d.life.Run(ctx) }

func (d *Driver) setRunning(running bool) {
	d.mu.Lock()
	d.running = running
	d.mu.Unlock()
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

// allocTag returns a message tag (1–255) not in use; tags fit the u8 of
// v13 and the u16 of v14.
func (d *Driver) allocTag() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tags.Take(&d.nextTag)
}

func (d *Driver) freeTag(t uint8) {
	d.mu.Lock()
	d.tags.Free(t)
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
	d.life.Up(ctx, s.info, start, "protocol", s.info.Firmware.Protocol)
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

// serve runs while the network is up: it ends on link loss, a
// NETWORK_DOWN from the NCP or ctx, and carries out restores and
// permit-join renewals.
func (s *session) serve(ctx context.Context) error {
	d := s.d
	return driverkit.Session[error]{
		Link:     s.c.Done(),
		LinkErr:  func() error { return s.c.linkErr("link") },
		Fail:     s.down,
		FailErr:  func(err error) error { return err },
		Restores: d.restores, Withdraw: s.withdraw, Restore: s.restoreNow, Up: s.up,
		Joining: &d.joining, Join: s.permitJoin, Wake: d.permitJoinWake,
		Events: d.events,
	}.Serve(ctx)
}

// restoreNow writes a backup while the network is up and reads the
// restored network.
func (s *session) restoreNow(ctx context.Context, b *zigbee.Backup) error {
	if err := s.restore(ctx, b); err != nil {
		return err
	}
	return s.finish(ctx, true, false)
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
			s.d.events.Emit(ctx, ev)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.evSig:
		}
	}
}
