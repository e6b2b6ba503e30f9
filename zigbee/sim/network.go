package sim

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// Config configures a virtual network. Zero fields take the defaults noted.
type Config struct {
	// StatePath is the JSON file holding the coordinator NV and the virtual
	// devices. Absent file = factory-new dongle. Empty = memory only.
	StatePath string
	// Devices is the initial population, added when the state does not
	// already hold a device with the same IEEE address.
	Devices []DeviceSpec
	// ConfirmDelay is the time from an accepted AF data request to its
	// AF_DATA_CONFIRM (default 10 ms).
	ConfirmDelay time.Duration
	// DeviceDelay is the time a virtual device takes to answer a frame
	// (default 20 ms).
	DeviceDelay time.Duration
	// ResetDelay is the time from a reset to SYS_RESET_IND (default 1 s,
	// observed 1.07 s on a CC2652).
	ResetDelay time.Duration
	// PollInterval is how often a sleepy device polls its parent once its
	// awake window has passed (default 60 s; frames wait at most 7.68 s).
	PollInterval time.Duration
	// AwakeTime is how long a sleepy device keeps polling fast after it
	// joined, its button was pressed or it received a frame (default 30 s).
	AwakeTime time.Duration
	// SensorInterval is the measurement period of th_sensor devices
	// (default 60 s).
	SensorInterval time.Duration
	// Baud paces the dongle→host line at this rate (10 bits per byte);
	// 0 = unpaced.
	Baud int
	// Trace receives one line per frame (see doc.go); nil = none.
	Trace io.Writer
	// Seed makes addresses and keys reproducible; 0 = random.
	Seed uint64
	// AutoJoin presses the button of every device that is not in the
	// network (at start and when added): each joins as soon as permit join
	// opens. The embedded default uses it so that pairing needs no extra
	// step.
	AutoJoin bool
	// Logger; nil = discard.
	Logger *slog.Logger
	// OnReady, if set, is called when a front end can be opened: ("pty",
	// path) once the symlink exists (again after a replug), ("tcp", addr)
	// once the listener accepts.
	OnReady func(frontEnd, address string)
}

// macTransactionPersistence is how long a parent keeps a frame for a
// sleepy child (macTransactionPersistenceTime, 0x1F4 unit periods of
// 15.36 ms = 7.68 s).
const macTransactionPersistence = 7680 * time.Millisecond

// Device states (protocol/znp.md §7.3).
const (
	devHold          = 0
	devCoordStarting = 8
	devZBCoord       = 9
)

// hostFront is a second front end (the EmberZNet NCP of ezsp.go) in front
// of the same firmware model. Both methods run as the MT ones would: receive
// on a link's reader, areq on the loop.
type hostFront interface {
	receive(l *link, b []byte) error
	areq(sub znp.Subsystem, id uint8, payload []byte)
}

// Network is an emulated Z-Stack 3.x.0 coordinator with a virtual Zigbee
// network behind it. Create it with New, run it with Run, and connect hosts
// with OpenZNP, ServePTY or ServeTCP.
type Network struct {
	cfg Config
	log *slog.Logger

	ev      chan func()
	started chan struct{}
	done    chan struct{}
	runOnce sync.Once

	traceMu sync.Mutex

	linkMu  sync.Mutex
	links   map[*link]struct{}
	plugged bool
	plugCh  chan struct{} // closed and replaced whenever plugged changes

	// Everything below is owned by the Run loop.
	rng           *mrand.Rand
	nv            *nvStore
	hwIEEE        zigbee.IEEE
	devices       []*device
	groups        []coordGroup
	timers        timerHeap
	timerSeq      uint64
	gen           uint64 // bumped by resets: scheduled coordinator work of older generations is dropped
	booting       bool
	bootWait      []chan struct{} // closed when booting ends
	state         uint8
	eps           []afEndpoint
	msgCB         map[uint16]bool
	permitEnd     time.Time
	permitForever bool
	permitGen     uint64
	bdbPrimary    uint32
	bdbSecondary  uint32
	zdoTSN        uint8
	inbox         []znp.Frame
	busy          bool
	holding       *[][]byte
	faults        faults
	joinWait      map[zigbee.IEEE][]chan zigbee.NWK
	dirty         bool
	saveArmed     bool
	epoch         time.Time
	retrieve      map[uint32][]byte

	// front, when set before Run (NewEZSP), replaces MT on the UART: it
	// receives the host's bytes and the AREQs the firmware model emits.
	front hostFront
}

type coordGroup struct {
	Endpoint uint8  `json:"endpoint"`
	Group    uint16 `json:"group"`
	Name     string `json:"name,omitempty"`
}

type afEndpoint struct {
	id      uint8
	profile uint16
	devID   uint16
	version uint8
	in, out []uint16
}

// faults are the test hooks waiting to fire.
type faults struct {
	drop    map[znp.Header]int
	delay   map[znp.Header]time.Duration
	corrupt int
	confirm []uint8
}

// New validates cfg, loads the state file (or creates a factory-new
// dongle) and returns a network that is plugged in but not yet running.
func New(cfg Config) (*Network, error) {
	if cfg.ConfirmDelay <= 0 {
		cfg.ConfirmDelay = 10 * time.Millisecond
	}
	if cfg.DeviceDelay <= 0 {
		cfg.DeviceDelay = 20 * time.Millisecond
	}
	if cfg.ResetDelay <= 0 {
		cfg.ResetDelay = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Minute
	}
	if cfg.AwakeTime <= 0 {
		cfg.AwakeTime = 30 * time.Second
	}
	if cfg.SensorInterval <= 0 {
		cfg.SensorInterval = time.Minute
	}
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("sim: baud %d is negative", cfg.Baud)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	n := &Network{
		cfg:      cfg,
		log:      log,
		ev:       make(chan func(), 64),
		started:  make(chan struct{}),
		done:     make(chan struct{}),
		links:    map[*link]struct{}{},
		plugged:  true,
		plugCh:   make(chan struct{}),
		rng:      mrand.New(mrand.NewPCG(seed, seed^0x9E3779B97F4A7C15)),
		msgCB:    map[uint16]bool{},
		joinWait: map[zigbee.IEEE][]chan zigbee.NWK{},
		epoch:    time.Now(),
		retrieve: map[uint32][]byte{},
		faults:   faults{drop: map[znp.Header]int{}, delay: map[znp.Header]time.Duration{}},
	}
	fresh, err := n.load()
	if err != nil {
		return nil, err
	}
	for _, spec := range cfg.Devices {
		// Specs with a fixed address are added once; random ones only to a
		// factory-new dongle (a restart must not add them again).
		if spec.IEEE != 0 && n.deviceByIEEE(spec.IEEE) != nil || spec.IEEE == 0 && !fresh {
			continue
		}
		if _, err := n.addDevice(spec); err != nil {
			return nil, err
		}
	}
	if err := n.save(); err != nil {
		return nil, err
	}
	return n, nil
}

// Run executes the firmware until ctx is cancelled; it returns nil then.
// It may be called once.
func (n *Network) Run(ctx context.Context) error {
	ran := false
	n.runOnce.Do(func() { ran = true })
	if !ran {
		return fmt.Errorf("sim: run: already running")
	}
	close(n.started)
	defer close(n.done)
	n.log.Info("sim started", "event", "sim_start", "ieee", n.ieee(), "devices", len(n.devices))
	n.startSensors()
	if n.cfg.AutoJoin {
		for _, d := range n.devices {
			if !n.member(d) {
				d.pressed = true
			}
		}
	}
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		if len(n.timers) > 0 {
			t.Reset(max(time.Until(n.timers[0].at), 0))
		} else {
			t.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			n.closeLinks()
			if err := n.save(); err != nil {
				n.log.Error("sim state not saved", "event", "state_save_failed", "err", err)
			}
			return nil
		case fn := <-n.ev:
			fn()
		case <-t.C:
			now := time.Now()
			for len(n.timers) > 0 && !n.timers[0].at.After(now) {
				e := heap.Pop(&n.timers).(*timerEntry)
				e.fn()
			}
		}
		if n.dirty && !n.saveArmed {
			n.saveArmed = true
			n.after(100*time.Millisecond, func() {
				n.saveArmed = false
				if err := n.save(); err != nil {
					n.log.Error("sim state not saved", "event", "state_save_failed", "err", err)
				}
			})
		}
	}
}

// post hands fn to the loop; false once the loop has stopped.
func (n *Network) post(fn func()) bool {
	select {
	case n.ev <- fn:
		return true
	case <-n.done:
		return false
	}
}

// call runs fn on the loop and waits for it.
func (n *Network) call(ctx context.Context, fn func()) error {
	fin := make(chan struct{})
	select {
	case n.ev <- func() { fn(); close(fin) }:
	case <-n.done:
		return fmt.Errorf("sim: %w", ErrStopped)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-fin:
		return nil
	case <-n.done:
		return fmt.Errorf("sim: %w", ErrStopped)
	}
}

// ---- timers (loop-owned) ----

type timerEntry struct {
	at  time.Time
	seq uint64
	fn  func()
}

type timerHeap []*timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// after runs fn on the loop after d, in scheduling order for equal times.
func (n *Network) after(d time.Duration, fn func()) {
	n.timerSeq++
	heap.Push(&n.timers, &timerEntry{at: time.Now().Add(d), seq: n.timerSeq, fn: fn})
}

// afterCoord is after for coordinator work that a reset cancels.
func (n *Network) afterCoord(d time.Duration, fn func()) {
	g := n.gen
	n.after(d, func() {
		if n.gen == g {
			fn()
		}
	})
}

// ---- coordinator identity ----

func (n *Network) ieee() zigbee.IEEE {
	if v, ok := n.nv.get(nvExtAddr); ok && len(v) == 8 {
		a := zigbee.IEEE(binary.LittleEndian.Uint64(v))
		if a != 0 && a != 0xFFFFFFFFFFFFFFFF {
			return a
		}
	}
	return n.hwIEEE
}

func (n *Network) nib() nib {
	v, ok := n.nv.get(nvNIB)
	if !ok {
		return nil
	}
	return nib(v)
}

// booted ends a boot: the chip listens again and says so.
func (n *Network) booted(reason uint8) {
	n.booting = false
	for _, ch := range n.bootWait {
		close(ch)
	}
	n.bootWait = nil
	n.areq(znp.SYS, 0x80, []byte{reason, transportRev, productZStack3, majorRel, minorRel, maintRel})
}

// waitBooted blocks until the firmware runs and listens to its UART.
func (n *Network) waitBooted(ctx context.Context) error {
	ch := make(chan struct{})
	if err := n.call(ctx, func() {
		if n.booting {
			n.bootWait = append(n.bootWait, ch)
		} else {
			close(ch)
		}
	}); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return fmt.Errorf("sim: %w", ErrStopped)
	}
}

func (n *Network) started9() bool { return n.state == devZBCoord && !n.booting }

func (n *Network) networkKey() []byte {
	v, _ := n.nv.get(nvActiveKeyInfo)
	if len(v) == 17 {
		return v[1:]
	}
	return make([]byte, 16)
}

// timestamp is the 32-bit receive timestamp of AF_INCOMING_MSG.
func (n *Network) timestamp() uint32 {
	return uint32(time.Since(n.epoch) / time.Millisecond * 1000 / 16)
}

// ---- devices ----

func (n *Network) deviceByIEEE(a zigbee.IEEE) *device {
	for _, d := range n.devices {
		if d.ieee == a {
			return d
		}
	}
	return nil
}

// member reports whether d belongs to the network the coordinator runs.
func (n *Network) member(d *device) bool {
	nb := n.nib()
	return d.joined && nb.formed() && d.extPAN == nb.extPANID() && d.pan == nb.panID() &&
		bytes.Equal(d.key[:], n.networkKey())
}

func (n *Network) deviceByNWK(a zigbee.NWK) *device {
	for _, d := range n.devices {
		if d.nwk == a && n.member(d) {
			return d
		}
	}
	return nil
}

// knownNWK reports whether a was ever a device address (left devices stay
// in the coordinator's tables as stale neighbours).
func (n *Network) knownNWK(a zigbee.NWK) bool {
	for _, d := range n.devices {
		if d.nwk == a {
			return true
		}
	}
	return false
}

func (n *Network) addDevice(spec DeviceSpec) (*device, error) {
	a := spec.IEEE
	if a == 0 {
		m, ok := models[spec.Kind]
		if !ok {
			return nil, fmt.Errorf("sim: device kind %q: %w", spec.Kind, ErrUnknownKind)
		}
		for a == 0 || n.deviceByIEEE(a) != nil {
			a = zigbee.IEEE(m.oui<<40 | n.rng.Uint64()&0xFFFFFFFFFF)
		}
	} else if n.deviceByIEEE(a) != nil {
		return nil, fmt.Errorf("sim: device %v: %w", a, ErrDuplicateDevice)
	}
	d, err := newDevice(spec, a)
	if err != nil {
		return nil, err
	}
	d.lqi = uint8(90 + n.rng.IntN(140))
	d.pressed = n.cfg.AutoJoin
	n.devices = append(n.devices, d)
	n.dirty = true
	return d, nil
}

func (n *Network) newNWK() zigbee.NWK {
	for {
		a := zigbee.NWK(1 + n.rng.IntN(0xFFF6))
		if n.knownNWK(a) {
			continue
		}
		return a
	}
}

// ---- output ----

func frameBytes(t znp.Type, sub znp.Subsystem, id uint8, payload []byte) []byte {
	b, err := znp.AppendFrame(nil, znp.Frame{Header: znp.Header{Type: t, Subsystem: sub, ID: id}, Payload: payload})
	if err != nil {
		panic(fmt.Sprintf("sim: frame %v/%v/0x%02X: %v", t, sub, id, err))
	}
	return b
}

// areq sends an AREQ to the host.
func (n *Network) areq(sub znp.Subsystem, id uint8, payload []byte) {
	if n.front != nil {
		n.front.areq(sub, id, payload)
		return
	}
	n.emit(frameBytes(znp.AREQ, sub, id, payload))
}

// emit writes a frame to every attached link (or holds it while a delayed
// SRSP is pending, to keep the firmware's output order).
func (n *Network) emit(b []byte) {
	if n.holding != nil {
		*n.holding = append(*n.holding, b)
		return
	}
	n.write(b)
}

func (n *Network) write(b []byte) {
	if n.faults.corrupt > 0 {
		n.faults.corrupt--
		b = append([]byte(nil), b...)
		b[len(b)-1] ^= 0xFF
	}
	n.traceFrame('<', b)
	n.linkMu.Lock()
	for l := range n.links {
		l.deliver(b)
	}
	n.linkMu.Unlock()
}
