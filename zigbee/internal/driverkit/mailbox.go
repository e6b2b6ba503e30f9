package driverkit

import "sync"

// DefaultMailboxMax is how many items a Mailbox holds beyond its channel
// buffer by default: at most a few MB of frames, far more than any burst a
// coordinator sends (hundreds of devices joining at once), and still a
// bound if the consumer is gone for good.
const DefaultMailboxMax = 16384

// Mailbox carries items, in order, from a producer that must never block
// (a link reader, which also has to deliver the replies the consumer may be
// waiting for) to a consumer that reads a channel. What the channel cannot
// take at once waits in a queue of up to max items; only beyond that does
// Put drop. One goroutine, started by NewMailbox and ended by Close, moves
// the queue into the channel.
//
// Put and C may be used from any goroutine (items put concurrently are
// ordered as Put took the lock); Close once, after the last Put.
type Mailbox[T any] struct {
	ch   chan T
	max  int
	wake chan struct{} // a token when the queue became non-empty
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the mover goroutine has ended

	mu sync.Mutex
	q  []T // waiting for room in ch, oldest first; q[0] is being moved
}

// NewMailbox returns a mailbox whose channel buffers buffer items and whose
// queue holds up to max more (max <= 0: DefaultMailboxMax).
func NewMailbox[T any](buffer, max int) *Mailbox[T] {
	if max <= 0 {
		max = DefaultMailboxMax
	}
	m := &Mailbox[T]{ch: make(chan T, buffer), max: max, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	go m.move()
	return m
}

// C delivers the items in the order they were put. It is closed by Close.
func (m *Mailbox[T]) C() <-chan T { return m.ch }

// Put hands v over without blocking. It returns false, dropping v, only
// when max items already wait.
func (m *Mailbox[T]) Put(v T) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.q) == 0 {
		select {
		case m.ch <- v: // the common case: room in the channel, nothing queued
			return true
		default:
		}
	}
	if len(m.q) >= m.max {
		return false
	}
	m.q = append(m.q, v)
	if len(m.q) == 1 {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// Queued returns how many items wait beyond the channel buffer.
func (m *Mailbox[T]) Queued() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.q)
}

// Close stops the mover, drops what still waits in the queue and closes C;
// what is already in the channel buffer can still be read.
func (m *Mailbox[T]) Close() {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	m.q = nil
	m.mu.Unlock()
	close(m.ch)
}

func (m *Mailbox[T]) move() {
	defer close(m.done)
	for {
		select {
		case <-m.wake:
		case <-m.stop:
			return
		}
		for {
			m.mu.Lock()
			if len(m.q) == 0 {
				m.mu.Unlock()
				break
			}
			v := m.q[0]
			m.mu.Unlock()
			select {
			case m.ch <- v:
			case <-m.stop:
				return
			}
			m.mu.Lock()
			var zero T
			m.q[0] = zero
			m.q = m.q[1:]
			if len(m.q) == 0 {
				m.q = nil // let a burst's backing array go
			}
			m.mu.Unlock()
		}
	}
}
