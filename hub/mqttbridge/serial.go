package mqttbridge

import "sync"

// maxIdleWorkers is how many command goroutines wait for work between
// commands. A goroutine that has run a command before has the stack it
// needs (a fresh one grows its stack, copying it, several times on the
// way to the serial port) and is woken by a send on its own channel.
const maxIdleWorkers = 4

// serial runs functions in order per key and concurrently across keys:
// one worker at a time owns a key with queued functions and runs them in
// order. Workers are started on demand (wg counts them); up to
// maxIdleWorkers of them wait for the next key instead of exiting. It
// bounds the queued functions.
type serial struct {
	mu      sync.Mutex
	queues  map[string][]func() // keys owned by a worker (or about to be)
	idle    []chan string       // waiting workers, the most recent last
	pending int
	max     int
	closed  bool
	wg      *sync.WaitGroup
}

func newSerial(max int, wg *sync.WaitGroup) *serial {
	return &serial{queues: map[string][]func(){}, max: max, wg: wg}
}

// do queues fn under key; false when the queue is full.
func (s *serial) do(key string, fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending >= s.max {
		return false
	}
	s.pending++
	q, owned := s.queues[key]
	s.queues[key] = append(q, fn)
	if owned {
		return true // its worker runs it after the earlier ones
	}
	if n := len(s.idle); n > 0 {
		w := s.idle[n-1]
		s.idle = s.idle[:n-1]
		w <- key // buffered: never blocks
		return true
	}
	s.wg.Go(func() { s.work(key) })
	return true
}

// work runs key's functions, then those of the keys it is handed, until
// it is not wanted as an idle worker or the serial is closed.
func (s *serial) work(key string) {
	var wake chan string
	for {
		s.run(key)
		s.mu.Lock()
		if s.closed || len(s.idle) >= maxIdleWorkers {
			s.mu.Unlock()
			return
		}
		if wake == nil {
			wake = make(chan string, 1)
		}
		s.idle = append(s.idle, wake)
		s.mu.Unlock()
		k, ok := <-wake
		if !ok {
			return
		}
		key = k
	}
}

// run runs key's queued functions in order until its queue is empty.
func (s *serial) run(key string) {
	s.mu.Lock()
	for {
		q := s.queues[key]
		if len(q) == 0 {
			delete(s.queues, key)
			s.mu.Unlock()
			return
		}
		fn := q[0]
		q[0] = nil
		s.queues[key] = q[1:]
		s.mu.Unlock()
		fn()
		s.mu.Lock()
		s.pending--
	}
}

// close stops the idle workers; workers still running exit when their
// keys are done. Functions queued later still run, each key on a worker
// of its own.
func (s *serial) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, w := range s.idle {
		close(w)
	}
	s.idle = nil
}
