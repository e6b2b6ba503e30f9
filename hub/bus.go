package hub

import (
	"sync"
	"sync/atomic"
)

// DefaultSubscriptionBuffer is the channel capacity Subscribe uses when
// asked for 0 or less.
const DefaultSubscriptionBuffer = 256

// Subscription receives the hub's events in order on C. Close it when done.
type Subscription struct {
	bus     *bus
	ch      chan Event
	dropped atomic.Uint64
	closed  bool // guarded by bus.mu
}

// C returns the event channel. It is closed by Close and when the hub's
// Run returns.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped returns how many events this subscription missed because its
// channel was full. A subscriber that sees this grow should re-read what
// it cares about (Devices, Device) rather than trust its view.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close stops delivery and closes C. It may be called more than once and
// from any goroutine.
func (s *Subscription) Close() { s.bus.remove(s) }

// bus fans events out to subscriptions. publish never blocks: a
// subscription whose channel is full loses the event and counts it, so a
// slow consumer cannot hold up the radio path. Events are published under
// mu, so every subscriber sees the same order.
type bus struct {
	mu     sync.Mutex
	subs   []*Subscription
	closed bool
	total  atomic.Uint64 // events published
}

func (b *bus) subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultSubscriptionBuffer
	}
	s := &Subscription{bus: b, ch: make(chan Event, buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closed = true
		close(s.ch)
		return s
	}
	b.subs = append(b.subs, s)
	return s
}

func (b *bus) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	for i, x := range b.subs {
		if x == s {
			b.subs = append(b.subs[:i], b.subs[i+1:]...)
			break
		}
	}
}

func (b *bus) publish(e Event) {
	b.mu.Lock()
	b.total.Add(1)
	for _, s := range b.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped.Add(1)
		}
	}
	b.mu.Unlock()
}

// close closes every subscription; later subscriptions start closed.
func (b *bus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, s := range b.subs {
		s.closed = true
		close(s.ch)
	}
	b.subs = nil
}

// dropped sums the drops of the current subscriptions.
func (b *bus) dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n uint64
	for _, s := range b.subs {
		n += s.dropped.Load()
	}
	return n
}
