package znp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/internal/driverkit"
)

// Driver defaults (protocol/znp.md §3.1, §3.2).
const (
	// DefaultMaxTransactions bounds concurrent Send and ZDORequest calls,
	// herdsman's and zigpy's limit for Z-Stack 3.
	DefaultMaxTransactions = 16
	// DefaultConfirmTimeout bounds the wait for AF_DATA_CONFIRM of a unicast.
	DefaultConfirmTimeout = 10 * time.Second
	// DefaultGroupConfirmTimeout bounds it for groups and broadcasts.
	DefaultGroupConfirmTimeout = 3 * time.Second
	// DefaultZDOTimeout bounds the wait for a ZDO response callback.
	DefaultZDOTimeout = 10 * time.Second
	// DefaultNetworkTimeout bounds the wait for the coordinator state
	// (ZB_COORD) after start-up or formation.
	DefaultNetworkTimeout = 100 * time.Second
	// DefaultResetTimeout bounds the wait for SYS_RESET_IND.
	DefaultResetTimeout = 30 * time.Second
	// DefaultReconnectDelay is the first wait before reopening the port;
	// it doubles up to DefaultMaxReconnectDelay.
	DefaultReconnectDelay    = time.Second
	DefaultMaxReconnectDelay = 30 * time.Second
)

// EndpointConfig describes an application endpoint the driver registers on
// the coordinator with AF_REGISTER.
type EndpointConfig struct {
	Endpoint      zigbee.Endpoint
	Profile       zigbee.ProfileID
	DeviceID      uint16
	DeviceVersion uint8
	InClusters    []zigbee.ClusterID
	OutClusters   []zigbee.ClusterID
}

// DefaultEndpoints are registered when Config.Endpoints is nil: endpoint 1
// for Home Automation (and Zigbee 3.0) traffic and 242 for Green Power, as
// herdsman registers them (protocol/znp.md §10.3 step 13).
func DefaultEndpoints() []EndpointConfig {
	return []EndpointConfig{
		{Endpoint: 1, Profile: zigbee.ProfileHA, DeviceID: 0x0005,
			InClusters:  []zigbee.ClusterID{0x0000, 0x0003, 0x000A, 0x0019, 0x0501},
			OutClusters: []zigbee.ClusterID{0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0300, 0x0500, 0x0502}},
		{Endpoint: 242, Profile: zigbee.ProfileGP, DeviceID: 0x0061},
	}
}

// Config configures a Driver. Zero fields take the defaults above.
type Config struct {
	// Open opens the link to the dongle, e.g. a closure over
	// zigbee.OpenPort. It is called again after every link loss. Required.
	Open func(ctx context.Context) (io.ReadWriteCloser, error)
	// Network is the network the configuration asks for (see Run for how
	// it is matched against the network in the coordinator).
	Network zigbee.NetworkConfig
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// BackupPath, when set, is an Open Coordinator Backup file. It is
	// written (mode 0600) after the network is formed or restored and when
	// it is missing at start; a blank coordinator is restored from it when
	// it matches Network.
	BackupPath string
	// BackupSource is the metadata.source written into backups (default "zhub").
	BackupSource string
	// TxPower sets the radio's transmit power in dBm with SYS_STACK_TUNE
	// when not nil.
	TxPower *int8
	// Endpoints to register; nil means DefaultEndpoints.
	Endpoints []EndpointConfig
	// MaxTransactions bounds concurrent Send and ZDORequest calls (at most 200).
	MaxTransactions int

	SREQTimeout         time.Duration // SRSP wait (DefaultSREQTimeout)
	StartTimeout        time.Duration // SRSP wait of start commands (DefaultStartTimeout)
	ConfirmTimeout      time.Duration // AF_DATA_CONFIRM of unicasts
	GroupConfirmTimeout time.Duration // AF_DATA_CONFIRM of groups and broadcasts
	ZDOTimeout          time.Duration // ZDO response callbacks
	NetworkTimeout      time.Duration // coordinator state after start or formation
	ResetTimeout        time.Duration // SYS_RESET_IND after SYS_RESET_REQ
	ReconnectDelay      time.Duration // first wait before reopening
	MaxReconnectDelay   time.Duration // cap of the doubling wait
	// BootloaderDelay is the wait after the bootloader-skip byte
	// (default 1 s, herdsman's value) and ProbeTimeout the timeout of the
	// probing SYS_PINGs (default 250 ms).
	BootloaderDelay time.Duration
	ProbeTimeout    time.Duration

	// Rand is the source of PAN ids and network keys; nil means
	// crypto/rand. Tests may make it deterministic.
	Rand io.Reader
}

// Driver is a zigbee.Coordinator for TI Z-Stack ZNP coordinators (Z-Stack
// 3.x.0 on CC26xx/CC13xx, Z-Stack 3.0.x on CC2530/CC2531).
type Driver struct {
	cfg        Config
	log        *slog.Logger
	life       driverkit.Lifecycle
	events     *driverkit.Events
	txSem      driverkit.Slots
	restores   *driverkit.Restores
	joining    driverkit.Joining
	backupFile driverkit.BackupFile

	mu        sync.Mutex
	running   bool
	sess      *session // the session whose network is up, or nil
	info      zigbee.NetworkInfo
	pastStats Stats // counters of ended connections
	liveConn  *conn
	forced    bool      // Network.ForceForm has been applied
	pjUntil   time.Time // permit join open until (zero: closed)
	pjVia     zigbee.NWK
	tids      driverkit.IDs // AF transaction ids in use
	nextTID   uint8
}

var _ zigbee.Coordinator = (*Driver)(nil)

// Errors of the driver.
var (
	// ErrUnsupportedFirmware means the dongle runs a Z-Stack generation
	// the driver does not drive (Z-Stack Home 1.2).
	ErrUnsupportedFirmware = fmt.Errorf("unsupported Z-Stack firmware: %w", zigbee.ErrUnsupported)
	// ErrNoAnswer means the port opened but nothing answered SYS_PING.
	ErrNoAnswer = errors.New("no answer to SYS_PING")
	// ErrConfig means the Config is invalid.
	ErrConfig = errors.New("invalid driver configuration")
)

// New validates cfg and returns a driver. It does no I/O.
func New(cfg Config) (*Driver, error) {
	if cfg.Open == nil {
		return nil, fmt.Errorf("znp: %w: Open is required", ErrConfig)
	}
	if err := driverkit.CheckNetwork(cfg.Network); err != nil {
		return nil, fmt.Errorf("znp: %w: %w", ErrConfig, err)
	}
	for _, e := range cfg.Endpoints {
		if err := driverkit.CheckEndpoint(e.Endpoint); err != nil {
			return nil, fmt.Errorf("znp: %w: %w", ErrConfig, err)
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
	driverkit.SetDefault(&cfg.MaxTransactions, DefaultMaxTransactions)
	cfg.MaxTransactions = min(cfg.MaxTransactions, 200) // AF transaction ids are 8 bits
	driverkit.SetDefault(&cfg.SREQTimeout, DefaultSREQTimeout)
	driverkit.SetDefault(&cfg.StartTimeout, DefaultStartTimeout)
	driverkit.SetDefault(&cfg.ConfirmTimeout, DefaultConfirmTimeout)
	driverkit.SetDefault(&cfg.GroupConfirmTimeout, DefaultGroupConfirmTimeout)
	driverkit.SetDefault(&cfg.ZDOTimeout, DefaultZDOTimeout)
	driverkit.SetDefault(&cfg.NetworkTimeout, DefaultNetworkTimeout)
	driverkit.SetDefault(&cfg.ResetTimeout, DefaultResetTimeout)
	driverkit.SetDefault(&cfg.ReconnectDelay, DefaultReconnectDelay)
	driverkit.SetDefault(&cfg.MaxReconnectDelay, DefaultMaxReconnectDelay)
	driverkit.SetDefault(&cfg.BootloaderDelay, time.Second)
	driverkit.SetDefault(&cfg.ProbeTimeout, 250*time.Millisecond)
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	d := &Driver{
		cfg:        cfg,
		log:        cfg.Logger,
		events:     driverkit.NewEvents(256),
		txSem:      make(driverkit.Slots, cfg.MaxTransactions),
		restores:   driverkit.NewRestores("znp"),
		backupFile: driverkit.BackupFile{Name: "znp", Path: cfg.BackupPath, Network: cfg.Network, Log: cfg.Logger},
		nextTID:    1,
	}
	d.life = driverkit.Lifecycle{Name: "znp", Log: d.log, Events: d.events, Running: d.setRunning, Session: d.runSession,
		Backoff: driverkit.Backoff{Initial: cfg.ReconnectDelay, Max: cfg.MaxReconnectDelay}}
	d.joining = driverkit.Joining{Window: window{d}, Events: d.events, Log: d.log}
	return d, nil
}

// Events returns the event stream. It is closed when Run returns.
func (d *Driver) Events() <-chan zigbee.Event { return d.events.C() }

// Info returns the network the coordinator runs and whether it is up.
func (d *Driver) Info() (zigbee.NetworkInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.info, d.sess != nil
}

// Stats returns the link counters, summed over every connection Run made.
func (d *Driver) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.pastStats
	if d.liveConn != nil {
		s = s.add(d.liveConn.Stats())
	}
	return s
}

// Run opens the link, resumes or forms the network, delivers events and
// reconnects after link loss or an unexpected coordinator reset, until ctx
// is cancelled; then it returns nil. A missing or unusable port is logged,
// reported as NetworkDown and retried with a doubling delay capped at
// MaxReconnectDelay; Run never gives up on it.
//
// On every start the driver resumes the network in the coordinator when
// the coordinator is configured and its network matches Network: each of
// channel, PAN id, extended PAN id and key matches when the configuration
// leaves it zero (generate) or names the same value. Otherwise, or with
// ForceForm (applied once per Driver), it forms a new network; a blank
// coordinator with a matching BackupPath file is restored instead.
func (d *Driver) Run(ctx context.Context) error { return d.life.Run(ctx) }

func (d *Driver) setRunning(running bool) {
	d.mu.Lock()
	d.running = running
	d.mu.Unlock()
}

// session is one connection to the dongle: from open to link loss.
type session struct {
	d         *Driver
	c         *conn
	nv        nvStore
	log       *slog.Logger
	fw        firmware
	endpoints map[zigbee.Endpoint]zigbee.ProfileID
	info      zigbee.NetworkInfo
	reset     chan struct{} // holds a token after an unexpected SYS_RESET_IND
}

// runSession opens the port and runs one session; wasUp reports whether
// the network came up.
func (d *Driver) runSession(ctx context.Context) (wasUp bool, err error) {
	rwc, err := d.cfg.Open(ctx)
	if err != nil {
		return false, fmt.Errorf("znp: open: %w", err)
	}
	c := newConn(rwc, connConfig{
		Logger: d.log, SREQTimeout: d.cfg.SREQTimeout, StartTimeout: d.cfg.StartTimeout,
	})
	s := &session{
		d: d, c: c, nv: nvStore{c: c}, log: d.log,
		endpoints: map[zigbee.Endpoint]zigbee.ProfileID{},
		reset:     make(chan struct{}, 1),
	}
	d.mu.Lock()
	d.liveConn = c
	d.mu.Unlock()

	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		c.Close()
		wg.Wait()
		d.mu.Lock()
		d.pastStats = d.pastStats.add(c.Stats())
		d.liveConn = nil
		d.sess = nil
		d.mu.Unlock()
	}()
	wg.Go(func() { s.dispatch(sctx) })

	start := time.Now()
	for attempt := 1; ; attempt++ {
		// A ZNP that just booted (a replugged stick) may announce itself
		// with SYS_RESET_IND while the start-up runs; start over then.
		select {
		case <-s.reset:
		default:
		}
		err := s.start(sctx)
		if err == nil {
			break
		}
		if attempt == 3 || !errors.Is(err, zigbee.ErrCoordinatorReset) || sctx.Err() != nil {
			return false, err
		}
		s.log.Warn("coordinator reset during start-up, starting over", "event", "start_retry", "err", err)
	}
	s.up(sctx, start)
	return true, s.serve(sctx)
}

// up publishes the session's network and emits NetworkUp.
func (s *session) up(ctx context.Context, start time.Time) {
	d := s.d
	d.mu.Lock()
	d.sess = s
	d.info = s.info
	d.mu.Unlock()
	d.life.Up(ctx, s.info, start, "revision", s.info.Firmware.Revision)
}

// down withdraws the session's network (the caller emits NetworkDown).
func (s *session) down() {
	s.d.mu.Lock()
	if s.d.sess == s {
		s.d.sess = nil
	}
	s.d.mu.Unlock()
}

// serve runs while the network is up: it ends on link loss, an unexpected
// reset or ctx, and carries out restores and permit-join renewals.
func (s *session) serve(ctx context.Context) error {
	d := s.d
	return driverkit.Session[struct{}]{
		Link:    s.c.Done(),
		LinkErr: func() error { return fmt.Errorf("znp: %w", s.c.Err()) },
		Fail:    s.reset,
		FailErr: func(struct{}) error {
			return fmt.Errorf("znp: %w: unexpected SYS_RESET_IND", zigbee.ErrCoordinatorReset)
		},
		Restores: d.restores, Withdraw: s.down, Restore: s.restoreNow, Up: s.up,
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

// active returns the session whose network is up.
func (d *Driver) active() (*session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !d.running:
		return nil, fmt.Errorf("znp: %w", zigbee.ErrNotRunning)
	case d.sess == nil:
		return nil, fmt.Errorf("znp: %w", zigbee.ErrNetworkDown)
	}
	return d.sess, nil
}

// allocTID returns an AF transaction id (1–255) not in use.
func (d *Driver) allocTID() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tids.Take(&d.nextTID)
}

func (d *Driver) freeTID(t uint8) {
	d.mu.Lock()
	d.tids.Free(t)
	d.mu.Unlock()
}

// maxPermitJoin is the longest single permit-join duration; longer windows
// are renewed.
const maxPermitJoin = driverkit.MaxPermitJoin

// PermitJoin opens the network for joining for dur (0 closes it) through
// ZDO_MGMT_PERMIT_JOIN_REQ: to all routers and the coordinator when via is
// 0 or NWKBroadcastRouter, else to the one router via. Windows longer than
// 254 s are renewed by the driver until they end. PermitJoinChanged is
// emitted when joining opens and when it closes.
func (d *Driver) PermitJoin(ctx context.Context, dur time.Duration, via zigbee.NWK) error {
	s, err := d.active()
	if err != nil {
		return err
	}
	return d.joining.Open(ctx, dur, via, s.permitJoin)
}

// permitJoinWake returns when the serve loop must next act on permit join.
func (d *Driver) permitJoinWake() (time.Time, bool) {
	until, _ := window{d}.PermitJoinWindow()
	return driverkit.PermitJoinWake(until, time.Now())
}

// window is the driver's permit-join window as driverkit.Joining keeps it.
type window struct{ d *Driver }

func (w window) PermitJoinWindow() (time.Time, zigbee.NWK) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.pjUntil, w.d.pjVia
}

func (w window) SetPermitJoinWindow(until time.Time, via zigbee.NWK) {
	w.d.mu.Lock()
	w.d.pjUntil, w.d.pjVia = until, via
	w.d.mu.Unlock()
}

// permitJoin sends one ZDO_MGMT_PERMIT_JOIN_REQ (protocol/znp.md §11.1).
func (s *session) permitJoin(ctx context.Context, dur time.Duration, via zigbee.NWK) error {
	secs := uint8((dur + time.Second - 1) / time.Second)
	mode := byte(zigbee.AddrNWK)
	if via.IsBroadcast() {
		mode = byte(zigbee.AddrBroadcast)
	}
	p := le16([]byte{mode}, uint16(via))
	p = append(p, secs, 1) // tcSignificance 1, as current herdsman
	rsp, err := s.c.request(ctx, Frame{cmdZDOPermitJoinReq, p})
	if err != nil {
		return err
	}
	return statusErr("ZDO_MGMT_PERMIT_JOIN_REQ", rsp.Payload, nil)
}

// statusErr turns the status byte at the start of an SRSP into an error.
func statusErr(op string, payload []byte, reason error) error {
	if len(payload) < 1 {
		return fmt.Errorf("znp: %s: %w", op, errShortPayload)
	}
	if payload[0] == 0 {
		return nil
	}
	return fmt.Errorf("znp: %w", &zigbee.StatusError{Op: op, Code: payload[0], Name: statusName(payload[0]), Reason: reason})
}
