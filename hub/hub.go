package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/zcl"
)

// Defaults of zero Config fields.
const (
	DefaultCommandTimeout      = 10 * time.Second
	DefaultInterviewAttempts   = 3
	DefaultInterviewBackoff    = 2 * time.Second
	DefaultInterviewRetryAfter = 30 * time.Second
	DefaultMaxInterviews       = 4
	// DefaultActiveTimeout and DefaultPassiveTimeout are Zigbee2MQTT's
	// availability defaults (interfaces.md §A.8).
	DefaultActiveTimeout        = 10 * time.Minute
	DefaultPassiveTimeout       = 25 * time.Hour
	DefaultAvailabilityInterval = 30 * time.Second
	DefaultFlushInterval        = time.Second
	DefaultMaxPendingHistory    = 200_000
	DefaultHistoryRate          = 10
)

// Config configures a Hub. Only Coordinator is required.
type Config struct {
	// Coordinator is the Zigbee coordinator the hub drives. Its owner runs
	// it; the hub consumes its events and calls its methods.
	Coordinator zigbee.Coordinator
	// Store persists devices, state and history; nil keeps them in memory.
	Store Store
	// Logger; nil discards. The caller adds the module attribute.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	// CommandTimeout bounds the wait for a device's answer to one command,
	// read or interview request, after the coordinator sent it.
	CommandTimeout time.Duration
	// InterviewAttempts is how often an interview step is tried before
	// the interview fails; InterviewBackoff is the first wait between
	// tries (it doubles).
	InterviewAttempts int
	InterviewBackoff  time.Duration
	// InterviewRetryAfter: a failed interview resumes when the device next
	// sends anything, but not sooner than this after the failure.
	InterviewRetryAfter time.Duration
	// MaxInterviews bounds interviews running at once.
	MaxInterviews int
	// ActiveTimeout: a mains-powered device silent this long is pinged
	// (a read of a Basic attribute) and marked offline if it does not
	// answer. PassiveTimeout: a battery device silent this long is marked
	// offline (never pinged). AvailabilityInterval is how often the hub
	// checks.
	ActiveTimeout        time.Duration
	PassiveTimeout       time.Duration
	AvailabilityInterval time.Duration
	// FlushInterval is how often changed state and new history points are
	// written to the Store; MaxPendingHistory bounds the points waiting
	// for a write (beyond it new points are dropped and counted).
	FlushInterval     time.Duration
	MaxPendingHistory int
	// HistoryRate bounds the history of one device property to this many
	// points per second; within a second, points beyond it replace the
	// last one kept (a burst is recorded with its final value).
	HistoryRate int
	// Endpoint is the coordinator endpoint the hub sends from and binds
	// devices to (default 1, the Home Automation endpoint).
	Endpoint zigbee.Endpoint
}

// Hub is zhub's domain core over one coordinator. Create it with New, run
// it with Run; the query and action methods are safe for concurrent use.
type Hub struct {
	cfg Config
	c   zigbee.Coordinator
	log *slog.Logger
	now func() time.Time
	bus bus
	p   *persister

	ran    atomic.Bool
	ready  chan struct{}   // closed once the registry is loaded
	stop   chan struct{}   // closed when Run stops
	runCtx context.Context // Run's context; used on the Run goroutine only
	wg     sync.WaitGroup  // interviews, pings and other work started by Run
	sem    chan struct{}   // interview slots
	respQ  chan response   // default responses and other answers to devices

	mu       sync.Mutex
	devs     map[zigbee.IEEE]*device
	byNWK    map[zigbee.NWK]*device
	byName   map[string]*device
	netUp    bool
	netInfo  zigbee.NetworkInfo
	netErr   error
	pjUntil  time.Time
	pjVia    string
	resumed  bool // interviews pending at start were resumed
	pinging  bool
	counters counters
	groups   groupSet // Zigbee groups (groups.go)

	wmu      sync.Mutex
	waiters  map[waitKey]chan zcl.Frame
	nwaiters atomic.Int32
	tsn      atomic.Uint32
	zdoTSN   atomic.Uint32
}

// counters are cumulative figures for Status, guarded by Hub.mu.
type counters struct {
	messages      uint64
	malformed     uint64
	unknownSource uint64
	rejected      uint64
}

// New validates cfg and returns a hub. It does no I/O.
func New(cfg Config) (*Hub, error) {
	if cfg.Coordinator == nil {
		return nil, errors.New("hub: config: Coordinator is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.CommandTimeout, DefaultCommandTimeout)
	setDefault(&cfg.InterviewAttempts, DefaultInterviewAttempts)
	setDefault(&cfg.InterviewBackoff, DefaultInterviewBackoff)
	if cfg.InterviewRetryAfter < 0 {
		cfg.InterviewRetryAfter = 0
	} else if cfg.InterviewRetryAfter == 0 {
		cfg.InterviewRetryAfter = DefaultInterviewRetryAfter
	}
	setDefault(&cfg.MaxInterviews, DefaultMaxInterviews)
	setDefault(&cfg.ActiveTimeout, DefaultActiveTimeout)
	setDefault(&cfg.PassiveTimeout, DefaultPassiveTimeout)
	setDefault(&cfg.AvailabilityInterval, DefaultAvailabilityInterval)
	setDefault(&cfg.FlushInterval, DefaultFlushInterval)
	setDefault(&cfg.MaxPendingHistory, DefaultMaxPendingHistory)
	setDefault(&cfg.HistoryRate, DefaultHistoryRate)
	if cfg.Endpoint == 0 {
		cfg.Endpoint = 1
	}
	h := &Hub{
		cfg:     cfg,
		c:       cfg.Coordinator,
		log:     cfg.Logger,
		now:     cfg.Now,
		ready:   make(chan struct{}),
		stop:    make(chan struct{}),
		sem:     make(chan struct{}, cfg.MaxInterviews),
		respQ:   make(chan response, 256),
		devs:    map[zigbee.IEEE]*device{},
		byNWK:   map[zigbee.NWK]*device{},
		byName:  map[string]*device{},
		waiters: map[waitKey]chan zcl.Frame{},
	}
	h.p = newPersister(h)
	h.tsn.Store(uint32(time.Now().UnixNano()))
	return h, nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Ready is closed once Run has loaded the device registry from the store;
// queries before that see no devices.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Subscribe returns a subscription to the event bus with a channel of the
// given capacity (DefaultSubscriptionBuffer when <= 0). Events arrive in
// the order they happened; a subscriber that falls behind loses events
// (counted by Dropped) rather than slowing the hub. Maps inside events are
// shared between subscribers and must not be modified.
func (h *Hub) Subscribe(buffer int) *Subscription { return h.bus.subscribe(buffer) }

// Run loads the registry, then consumes the coordinator's events: it keeps
// device state, runs interviews, answers devices and tracks availability
// until ctx is cancelled (it returns nil) or the coordinator's event
// channel closes. On return every goroutine it started has stopped, the
// last state is written to the store, and subscriptions are closed.
func (h *Hub) Run(ctx context.Context) error {
	if !h.ran.CompareAndSwap(false, true) {
		return errors.New("hub: Run called twice")
	}
	defer h.bus.close()
	start := h.now()
	if err := h.load(ctx); err != nil {
		close(h.ready)
		close(h.stop)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	close(h.ready)
	h.log.Info("hub started", "event", "hub_started", "devices", len(h.Devices()), "elapsed_ms", msSince(start, h.now()))

	rctx, cancel := context.WithCancel(ctx)
	h.runCtx = rctx
	var bg sync.WaitGroup
	bg.Go(func() { h.p.run(rctx) })
	bg.Go(func() { h.respond(rctx) })
	defer func() {
		cancel()
		close(h.stop)
		h.wg.Wait()
		bg.Wait()
		h.log.Info("hub stopped", "event", "hub_stopped")
	}()

	if info, up := h.c.Info(); up {
		h.handle(zigbee.NetworkUp{Info: info})
	}
	tick := time.NewTicker(h.cfg.AvailabilityInterval)
	defer tick.Stop()
	events := h.c.Events()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			h.handle(ev)
		case <-tick.C:
			h.checkAvailability()
		}
	}
}

func msSince(t0, t1 time.Time) float64 { return float64(t1.Sub(t0).Microseconds()) / 1000 }

// handle dispatches one coordinator event. It runs on the Run goroutine
// and never blocks on the network or the store.
func (h *Hub) handle(ev zigbee.Event) {
	switch e := ev.(type) {
	case zigbee.MessageReceived:
		h.handleMessage(e.Message)
	case zigbee.DeviceJoined:
		h.joined(e.IEEE, e.NWK, 0, false)
	case zigbee.DeviceAnnounced:
		h.joined(e.IEEE, e.NWK, e.Capabilities, true)
	case zigbee.DeviceLeft:
		h.left(e)
	case zigbee.NetworkUp:
		h.mu.Lock()
		h.netUp, h.netInfo, h.netErr = true, e.Info, nil
		resume := !h.resumed
		h.resumed = true
		h.bus.publish(NetworkChanged{Up: true, Info: e.Info})
		h.mu.Unlock()
		if resume {
			h.resumeInterviews()
		}
	case zigbee.NetworkDown:
		h.mu.Lock()
		h.netUp, h.netErr = false, e.Err
		h.bus.publish(NetworkChanged{Up: false, Info: h.netInfo, Err: e.Err})
		h.mu.Unlock()
	case zigbee.PermitJoinChanged:
		h.mu.Lock()
		ev := PermitJoinChanged{Open: e.Open, Via: h.pjVia}
		if e.Open {
			h.pjUntil = h.now().Add(e.Duration)
			ev.Until = h.pjUntil
		} else {
			// pjVia stays: it belongs to the last PermitJoin call, whose
			// open event may still be queued behind this close.
			h.pjUntil = time.Time{}
			ev.Via = ""
		}
		h.bus.publish(ev)
		h.mu.Unlock()
	}
}

// joined handles a trust-center join or a device announce.
func (h *Hub) joined(ieee zigbee.IEEE, nwk zigbee.NWK, caps uint8, announce bool) {
	h.mu.Lock()
	d := h.devs[ieee]
	isNew := d == nil
	if isNew {
		d = &device{ieee: ieee, nwk: nwk, name: ieee.String(), typ: "Unknown", state: map[string]any{},
			interview: Interview{State: InterviewPending, Updated: h.now()}, available: true}
		h.devs[ieee] = d
		h.byName[d.name] = d
		h.log.Info("device joined", "event", "device_joined", "ieee", ieee.String(), "nwk", nwk.String())
	}
	if old := h.byNWK[nwk]; old != nil && old != d {
		delete(h.byNWK, nwk) // the address was reused
	}
	if d.nwk != nwk {
		delete(h.byNWK, d.nwk)
		d.nwk = nwk
	}
	h.byNWK[nwk] = d
	if announce && caps != 0 {
		d.macCap = caps
	}
	d.lastSeen = h.now()
	h.seenLocked(d)
	h.p.markDevice(ieee)
	h.bus.publish(DeviceJoined{Device: d.name, IEEE: ieee, NWK: nwk, New: isNew})
	start := d.interview.State != InterviewSuccessful && !d.interviewing && !d.disabled
	// A known device that announces itself again was probably power
	// cycled: read its state so a light that came back is not shown stale
	// (as Zigbee2MQTT does).
	reread := !isNew && announce && !start && d.m != nil && d.mains() && h.runCtx != nil
	h.mu.Unlock()
	if start {
		h.startInterview(ieee)
	}
	if reread {
		ctx := h.runCtx
		h.wg.Go(func() { h.readInitialState(ctx, ieee) })
	}
}

// left handles a device leaving the network. The record and its name are
// kept so that a device that re-pairs gets its name back; it is
// re-interviewed then.
func (h *Hub) left(e zigbee.DeviceLeft) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.devs[e.IEEE]
	if d == nil {
		return
	}
	h.log.Info("device left", "event", "device_left", "ieee", e.IEEE.String(), "device", d.name, "rejoin", e.Rejoin)
	h.bus.publish(DeviceLeft{Device: d.name, IEEE: d.ieee})
	if e.Rejoin {
		return
	}
	if d.available {
		d.available = false
		h.bus.publish(AvailabilityChanged{Device: d.name, IEEE: d.ieee, Available: false})
	}
	if d.interview.State == InterviewSuccessful {
		d.interview = Interview{State: InterviewPending, Updated: h.now()}
		d.lastStep = ""
		h.p.markDevice(d.ieee)
	}
}

// Devices returns a snapshot of every device, ordered by friendly name.
func (h *Hub) Devices() []Device {
	h.mu.Lock()
	out := make([]Device, 0, len(h.devs))
	for _, d := range h.devs {
		out = append(out, d.snapshot())
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b Device) int {
		switch {
		case a.FriendlyName < b.FriendlyName:
			return -1
		case a.FriendlyName > b.FriendlyName:
			return 1
		}
		return 0
	})
	return out
}

// Device returns one device by friendly name or IEEE address ("0x..."
// with 16 hex digits, any case). An unknown name is an
// *UnknownDeviceError, with a suggestion when a name is close.
func (h *Hub) Device(nameOrIEEE string) (Device, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.lookupLocked(nameOrIEEE)
	if err != nil {
		return Device{}, err
	}
	return d.snapshot(), nil
}

// lookupLocked finds a device by name or IEEE address.
func (h *Hub) lookupLocked(s string) (*device, error) {
	if d := h.byName[s]; d != nil {
		return d, nil
	}
	if a, err := zigbee.ParseIEEE(s); err == nil && len(s) >= 16 {
		if d := h.devs[a]; d != nil {
			return d, nil
		}
	}
	return nil, &UnknownDeviceError{Name: s, Suggestion: suggest(s, slices.Collect(maps.Keys(h.byName)))}
}

// Status describes the hub and its network.
type Status struct {
	// NetworkUp is whether the coordinator's network is running.
	NetworkUp bool               `json:"network_up"`
	Network   zigbee.NetworkInfo `json:"network"`
	// NetworkError is why the network is down, if it is.
	NetworkError string `json:"network_error,omitempty"`
	Devices      int    `json:"devices"`
	Online       int    `json:"online"`
	Interviewing int    `json:"interviewing"`
	// PermitJoinUntil is when joining closes; zero when closed.
	PermitJoinUntil time.Time `json:"permit_join_until"`
	PermitJoinVia   string    `json:"permit_join_via,omitempty"`
	// Messages counts ZCL messages received from devices; Malformed those
	// that could not be decoded; UnknownSource those from addresses no
	// device has; Rejected values a device sent that were refused.
	Messages      uint64 `json:"messages"`
	Malformed     uint64 `json:"malformed"`
	UnknownSource uint64 `json:"unknown_source"`
	Rejected      uint64 `json:"rejected"`
	// EventsDropped sums what current subscribers lost; HistoryDropped
	// counts history points not written because the store fell behind.
	EventsDropped  uint64 `json:"events_dropped"`
	HistoryDropped uint64 `json:"history_dropped"`
}

// Status returns the network and registry summary.
func (h *Hub) Status() Status {
	h.mu.Lock()
	s := Status{NetworkUp: h.netUp, Network: h.netInfo, Devices: len(h.devs),
		Messages: h.counters.messages, Malformed: h.counters.malformed,
		UnknownSource: h.counters.unknownSource, Rejected: h.counters.rejected}
	if h.netErr != nil {
		s.NetworkError = h.netErr.Error()
	}
	if !h.pjUntil.IsZero() && h.pjUntil.After(h.now()) {
		s.PermitJoinUntil, s.PermitJoinVia = h.pjUntil, h.pjVia
	}
	for _, d := range h.devs {
		if d.available {
			s.Online++
		}
		if d.interviewing {
			s.Interviewing++
		}
	}
	h.mu.Unlock()
	s.EventsDropped = h.bus.dropped()
	s.HistoryDropped = h.p.droppedHistory()
	return s
}

// withDevice runs fn on the device under the lock.
func (h *Hub) withDevice(name string, fn func(d *device) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.lookupLocked(name)
	if err != nil {
		return err
	}
	return fn(d)
}

// checkRunning returns ErrNotRunning unless Run is active and the network
// is up.
func (h *Hub) checkRunning(dev, op string) error {
	h.mu.Lock()
	up := h.netUp
	h.mu.Unlock()
	if !h.ran.Load() || !up {
		return &CommandError{Device: dev, Op: op, Kind: ErrNotRunning, Err: zigbee.ErrNetworkDown}
	}
	return nil
}

func (h *Hub) String() string { return fmt.Sprintf("hub(%d devices)", len(h.Devices())) }
