package driverkit

import (
	"context"
	"sync"

	"github.com/zhubhq/zhub/zigbee"
)

// Events is a driver's event stream (zigbee.Coordinator.Events). The
// session and the driver's API calls (PermitJoin) both emit, from their
// own goroutines; Close, at the end of Run, may come while an emit waits
// for a slow consumer. Events are delivered in the order Emit was called
// (per goroutine), and none is delivered after Close.
type Events struct {
	ch chan zigbee.Event
	// mu is held for reading by every emit in progress, so that Close
	// (holding it for writing) never closes ch under a send.
	mu       sync.RWMutex
	closed   bool
	stopping chan struct{} // closed when Close begins: wakes blocked emits
}

// NewEvents returns a stream whose channel buffers size events.
func NewEvents(size int) *Events {
	return &Events{ch: make(chan zigbee.Event, size), stopping: make(chan struct{})}
}

// C returns the channel the consumer reads. It is closed by Close.
func (e *Events) C() <-chan zigbee.Event { return e.ch }

// Emit delivers ev, waiting while the channel is full, unless ctx ends or
// Close begins first; then, or after Close, ev is dropped.
func (e *Events) Emit(ctx context.Context, ev zigbee.Event) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return
	}
	select {
	case e.ch <- ev:
	case <-ctx.Done():
	case <-e.stopping:
	}
}

// Close wakes the emits that wait, lets them return, and closes the
// channel. Call it once, as Run returns.
func (e *Events) Close() {
	close(e.stopping)
	e.mu.Lock()
	e.closed = true
	close(e.ch)
	e.mu.Unlock()
}
