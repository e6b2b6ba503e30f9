package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
)

// flushTimeout bounds one write of the persister, and the final flush when
// Run stops.
const flushTimeout = 10 * time.Second

// historyChunk is the most points handed to Store.AppendHistory at once.
const historyChunk = 5000

// persister hands state to the Store off the radio path. The message
// handler only marks what changed (a map insert under p.mu); one goroutine
// writes the marked devices' current records and states, and the pending
// history points, every FlushInterval or at once when asked (registry
// changes, Sync). States are coalesced: a device reporting 1000 times
// between two flushes costs one write. History points are queued up to
// MaxPendingHistory; beyond that they are dropped and counted, never the
// state.
type persister struct {
	h *Hub

	mu      sync.Mutex
	devs    map[zigbee.IEEE]bool
	states  map[zigbee.IEEE]bool
	deletes map[zigbee.IEEE]bool
	history []HistoryPoint
	dropped uint64
	// rate bounds history per device property (see addHistory).
	rate map[histKey]*histWindow
	gen  uint64 // bumped when history is taken for writing

	kick  chan struct{}
	syncs chan chan error
}

func newPersister(h *Hub) *persister {
	p := &persister{
		h:       h,
		devs:    map[zigbee.IEEE]bool{},
		states:  map[zigbee.IEEE]bool{},
		deletes: map[zigbee.IEEE]bool{},
		rate:    map[histKey]*histWindow{},
		kick:    make(chan struct{}, 1),
		syncs:   make(chan chan error),
	}
	return p
}

func (p *persister) lock()   { p.mu.Lock() }
func (p *persister) unlock() { p.mu.Unlock() }

// markDevice queues the device's registry record and asks for a prompt
// write.
func (p *persister) markDevice(ieee zigbee.IEEE) {
	p.lock()
	p.devs[ieee] = true
	delete(p.deletes, ieee)
	p.unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *persister) markState(ieee zigbee.IEEE) {
	p.lock()
	p.states[ieee] = true
	p.unlock()
}

func (p *persister) markDelete(ieee zigbee.IEEE) {
	p.lock()
	p.deletes[ieee] = true
	delete(p.devs, ieee)
	delete(p.states, ieee)
	p.forget(ieee)
	p.unlock()
}

type histKey struct {
	ieee zigbee.IEEE
	prop string
}

// histWindow counts one property's points in the current second.
type histWindow struct {
	start time.Time
	n     int
	gen   uint64 // history generation holding the last point
	last  int    // its index in p.history
}

// addHistory queues points, bounded twice: per device property at most
// HistoryRate points per second are kept, a point beyond that replaces
// the property's last queued point (so a burst ends with its final
// value); and at most MaxPendingHistory points wait for a write, beyond
// which new points are dropped and counted. The state and the event bus
// see every value either way.
func (p *persister) addHistory(pts ...HistoryPoint) {
	rate := p.h.cfg.HistoryRate
	p.lock()
	defer p.unlock()
	for _, pt := range pts {
		k := histKey{pt.IEEE, pt.Property}
		w := p.rate[k]
		if w == nil {
			w = &histWindow{}
			p.rate[k] = w
		}
		if pt.At.Sub(w.start) >= time.Second || pt.At.Before(w.start) {
			w.start, w.n = pt.At, 0
		}
		if w.n >= rate && w.gen == p.gen && w.last < len(p.history) {
			p.history[w.last] = pt
			continue
		}
		if len(p.history) >= p.h.cfg.MaxPendingHistory {
			p.dropped++
			continue
		}
		w.n++
		w.gen, w.last = p.gen, len(p.history)
		p.history = append(p.history, pt)
	}
}

// forget drops a removed device's rate windows.
func (p *persister) forget(ieee zigbee.IEEE) {
	for k := range p.rate {
		if k.ieee == ieee {
			delete(p.rate, k)
		}
	}
}

func (p *persister) droppedHistory() uint64 {
	p.lock()
	defer p.unlock()
	return p.dropped
}

// sync writes everything marked so far and returns the outcome. Without a
// store, or before Run, it returns nil at once.
func (p *persister) sync(ctx context.Context) error {
	if p.h.cfg.Store == nil || !p.h.ran.Load() {
		return nil
	}
	ch := make(chan error, 1)
	select {
	case p.syncs <- ch:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.h.doneCh():
		return nil
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the persister goroutine; on cancellation it writes what is left.
func (p *persister) run(ctx context.Context) {
	if p.h.cfg.Store == nil {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(p.h.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			err := p.flush(fctx)
			cancel()
			if err != nil {
				p.h.log.Error("final state write failed", "event", "store_flush_failed", "err", err)
			}
			return
		case <-t.C:
			p.flushLogged(ctx)
		case <-p.kick:
			p.flushLogged(ctx)
		case ch := <-p.syncs:
			fctx, cancel := context.WithTimeout(ctx, flushTimeout)
			ch <- p.flush(fctx)
			cancel()
		}
	}
}

func (p *persister) flushLogged(ctx context.Context) {
	fctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := p.flush(fctx); err != nil && ctx.Err() == nil {
		p.h.log.Warn("state write failed; will retry", "event", "store_flush_failed", "err", err)
	}
}

// flush writes the marked records. Failed device and state writes stay
// marked for the next flush; failed history points are dropped (counted).
func (p *persister) flush(ctx context.Context) error {
	st := p.h.cfg.Store
	p.lock()
	devs, states, deletes, hist := p.devs, p.states, p.deletes, p.history
	p.devs, p.states, p.deletes, p.history = map[zigbee.IEEE]bool{}, map[zigbee.IEEE]bool{}, map[zigbee.IEEE]bool{}, nil
	p.gen++
	p.unlock()
	if len(devs)+len(states)+len(deletes)+len(hist) == 0 {
		return nil
	}
	start := time.Now()
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for ieee := range deletes {
		if err := st.DeleteDevice(ctx, ieee); err != nil {
			fail(fmt.Errorf("hub: store: delete %v: %w", ieee, err))
			p.lock()
			p.deletes[ieee] = true
			p.unlock()
		}
	}

	// Snapshot under the hub lock; encode outside it.
	type stateSnap struct {
		ieee  zigbee.IEEE
		state map[string]any
		at    time.Time
	}
	var recs []StoredDevice
	var snaps []stateSnap
	known := map[zigbee.IEEE]bool{}
	p.h.mu.Lock()
	for ieee := range devs {
		if d := p.h.devs[ieee]; d != nil {
			sd, err := d.stored()
			if err != nil {
				fail(fmt.Errorf("hub: encode device %v: %w", ieee, err))
				continue
			}
			recs = append(recs, sd)
		}
	}
	for ieee := range states {
		if d := p.h.devs[ieee]; d != nil {
			snaps = append(snaps, stateSnap{ieee, d.state, d.lastSeen})
		}
	}
	for _, pt := range hist {
		if _, ok := known[pt.IEEE]; !ok {
			known[pt.IEEE] = p.h.devs[pt.IEEE] != nil
		}
	}
	p.h.mu.Unlock()

	if len(recs) > 0 {
		if err := st.SaveDevices(ctx, recs); err != nil {
			fail(fmt.Errorf("hub: store: save devices: %w", err))
			p.lock()
			for _, r := range recs {
				p.devs[r.IEEE] = true
			}
			p.unlock()
		}
	}
	if len(snaps) > 0 {
		out := make([]StoredState, 0, len(snaps))
		for _, s := range snaps {
			b, err := json.Marshal(s.state)
			if err != nil {
				fail(fmt.Errorf("hub: encode state of %v: %w", s.ieee, err))
				continue
			}
			out = append(out, StoredState{IEEE: s.ieee, State: b, At: s.at})
		}
		if err := st.SaveStates(ctx, out); err != nil {
			fail(fmt.Errorf("hub: store: save states: %w", err))
			p.lock()
			for _, s := range out {
				p.states[s.IEEE] = true
			}
			p.unlock()
		}
	}
	if len(hist) > 0 {
		pts := hist[:0]
		for _, pt := range hist {
			if known[pt.IEEE] {
				pts = append(pts, pt)
			}
		}
		for len(pts) > 0 {
			n := min(len(pts), historyChunk)
			if err := st.AppendHistory(ctx, pts[:n]); err != nil {
				fail(fmt.Errorf("hub: store: append history: %w", err))
				p.lock()
				p.dropped += uint64(len(pts))
				p.unlock()
				break
			}
			pts = pts[n:]
		}
	}
	p.h.log.Debug("state written", "event", "store_flush", "devices", len(recs), "states", len(snaps),
		"history", len(hist), "elapsed_ms", msSince(start, time.Now()))
	return firstErr
}

// load reads the registry from the store.
func (h *Hub) load(ctx context.Context) error {
	if h.cfg.Store == nil {
		return nil
	}
	sds, err := h.cfg.Store.LoadDevices(ctx)
	if err != nil {
		return fmt.Errorf("hub: load devices: %w", err)
	}
	sgs, err := h.loadGroups(ctx)
	if err != nil {
		return err
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sd := range sds {
		d, err := deviceFromStore(sd)
		if err != nil {
			h.log.Warn("stored device unreadable; skipped", "event", "device_load_failed", "ieee", sd.IEEE.String(), "err", err)
			continue
		}
		timeout := h.cfg.PassiveTimeout
		if d.mains() {
			timeout = h.cfg.ActiveTimeout
		}
		d.available = !d.lastSeen.IsZero() && now.Sub(d.lastSeen) < timeout
		if d.interview.State == InterviewInProgress {
			d.interview.State = InterviewPending // resumed once the network is up
		}
		h.devs[d.ieee] = d
		if other := h.byName[d.name]; other != nil {
			h.log.Warn("duplicate stored friendly name; using the IEEE address", "event", "device_name_conflict",
				"device", d.name, "ieee", d.ieee.String())
			d.name = d.ieee.String()
		}
		h.byName[d.name] = d
		h.byNWK[d.nwk] = d
	}
	h.restoreGroupsLocked(sgs)
	return nil
}

// doneCh returns a channel closed when Run is stopping.
func (h *Hub) doneCh() <-chan struct{} { return h.stop }
