package sim

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// link is one host connection to the dongle's UART (an in-process pipe,
// a pty master or a TCP connection). Output is queued to a pump goroutine
// that paces it at the configured baud rate, so the firmware loop never
// waits for a slow host.
type link struct {
	n    *Network
	name string
	sink func([]byte) error
	// abort unblocks a sink stuck in a write (closes the transport).
	abort func()

	rxMu sync.Mutex
	rx   []byte

	out      chan []byte
	done     chan struct{} // closed by close
	once     sync.Once
	err      error // why the link closed
	pumpDone chan struct{}
}

const linkQueue = 4096 // frames; beyond this the line "overflows" and frames are dropped

// attach connects a transport; sink writes bytes to the host.
func (n *Network) attach(name string, sink func([]byte) error, abort func()) *link {
	l := &link{n: n, name: name, sink: sink, abort: abort, out: make(chan []byte, linkQueue),
		done: make(chan struct{}), pumpDone: make(chan struct{})}
	n.linkMu.Lock()
	n.links[l] = struct{}{}
	n.linkMu.Unlock()
	go l.pump()
	return l
}

// close detaches the link; err says why (nil = closed by its user).
func (l *link) close(err error) {
	l.once.Do(func() {
		l.n.linkMu.Lock()
		delete(l.n.links, l)
		l.n.linkMu.Unlock()
		l.err = err
		close(l.done)
		if l.abort != nil {
			l.abort()
		}
	})
	<-l.pumpDone
}

func (n *Network) closeLinks() {
	n.linkMu.Lock()
	ls := make([]*link, 0, len(n.links))
	for l := range n.links {
		ls = append(ls, l)
	}
	n.linkMu.Unlock()
	for _, l := range ls {
		l.close(fmt.Errorf("sim: %w", ErrStopped))
	}
}

// deliver queues b for the host; called with n.linkMu held.
func (l *link) deliver(b []byte) {
	select {
	case l.out <- b:
	default:
		l.n.log.Warn("host not reading, frame dropped", "event", "link_overflow", "link", l.name)
	}
}

func (l *link) pump() {
	defer close(l.pumpDone)
	var lineFree time.Time
	var t *time.Timer
	for {
		select {
		case <-l.done:
			if t != nil {
				t.Stop()
			}
			return
		case b := <-l.out:
			if baud := l.n.cfg.Baud; baud > 0 {
				start := time.Now()
				if lineFree.After(start) {
					start = lineFree
				}
				lineFree = start.Add(time.Duration(len(b)) * 10 * time.Second / time.Duration(baud))
				if t == nil {
					t = time.NewTimer(time.Until(lineFree))
				} else {
					t.Reset(time.Until(lineFree))
				}
				select {
				case <-t.C:
				case <-l.done:
					return
				}
			}
			if err := l.sink(b); err != nil {
				l.n.log.Debug("link write failed", "event", "link_write_failed", "link", l.name, "err", err)
			}
		}
	}
}

// receive parses bytes from the host (UNPI receive state machine, §2.2)
// and hands every valid frame to the firmware loop in order.
func (l *link) receive(b []byte) error {
	if l.n.front != nil {
		return l.n.front.receive(l, b)
	}
	l.rxMu.Lock()
	defer l.rxMu.Unlock()
	now := time.Now()
	l.rx = append(l.rx, b...)
	var frames []znp.Frame
	for len(l.rx) > 0 {
		i := 0
		for i < len(l.rx) && l.rx[i] != znp.SOF {
			i++
		}
		if i > 0 {
			l.n.traceLine(now, '#', "garbage "+hexUpper(l.rx[:i]))
			l.rx = l.rx[i:]
			continue
		}
		if len(l.rx) < 2 {
			break
		}
		size := int(l.rx[1])
		if size > znp.MaxPayload {
			l.n.traceLine(now, '#', "bad-length "+hexUpper(l.rx[:2]))
			l.rx = l.rx[1:]
			continue
		}
		if len(l.rx) < size+5 {
			break
		}
		cand := l.rx[:size+5]
		f, err := znp.ParseFrame(cand)
		if err != nil {
			l.n.traceLine(now, '#', "bad-fcs "+hexUpper(cand))
			l.rx = l.rx[1:]
			continue
		}
		l.n.traceLine(now, '>', hexUpper(cand))
		f.Payload = append([]byte(nil), f.Payload...)
		frames = append(frames, f)
		l.rx = l.rx[size+5:]
	}
	if len(l.rx) == 0 {
		l.rx = nil
	}
	for _, f := range frames {
		if !l.n.post(func() { l.n.hostFrame(f) }) {
			return fmt.Errorf("sim: %w", ErrStopped)
		}
	}
	return nil
}

func hexUpper(b []byte) string {
	s := make([]byte, hex.EncodedLen(len(b)))
	hex.Encode(s, b)
	for i, c := range s {
		if c >= 'a' && c <= 'f' {
			s[i] = c - 'a' + 'A'
		}
	}
	return string(s)
}

// ---- tracing ----

func (n *Network) traceFrame(dir byte, b []byte) {
	if n.cfg.Trace != nil {
		n.traceLine(time.Now(), dir, hexUpper(b))
	}
}

// traceLine writes "<unix-micros> <dir> <text>\n" in one Write call.
func (n *Network) traceLine(t time.Time, dir byte, text string) {
	if n.cfg.Trace == nil {
		return
	}
	line := strconv.AppendInt(nil, t.UnixMicro(), 10)
	line = append(line, ' ', dir, ' ')
	line = append(line, text...)
	line = append(line, '\n')
	n.traceMu.Lock()
	defer n.traceMu.Unlock()
	_, _ = n.cfg.Trace.Write(line)
}

// ---- in-process link ----

// pipeConn is the host end of an in-process link.
type pipeConn struct {
	l      *link
	mu     sync.Mutex
	buf    []byte
	notify chan struct{}
	closed bool
}

// OpenZNP opens a fresh in-process link to the dongle, like opening its
// serial port: it fails with an error wrapping zigbee.ErrPortNotFound
// while the dongle is unplugged. Reads block until data arrives; Close
// unblocks them. After an unplug, Read returns io.EOF and Write fails with
// ErrUnplugged.
func (n *Network) OpenZNP(ctx context.Context) (io.ReadWriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-n.done:
		return nil, fmt.Errorf("sim: open: %w", ErrStopped)
	default:
	}
	n.linkMu.Lock()
	plugged := n.plugged
	n.linkMu.Unlock()
	if !plugged {
		return nil, &zigbee.PortError{Path: "sim", Err: zigbee.ErrPortNotFound, Hint: "the virtual dongle is unplugged"}
	}
	c := &pipeConn{notify: make(chan struct{}, 1)}
	c.l = n.attach("inproc", c.push, nil)
	return c, nil
}

func (c *pipeConn) push(b []byte) error {
	c.mu.Lock()
	c.buf = append(c.buf, b...)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return nil
}

func (c *pipeConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, fmt.Errorf("sim: read: %w", ErrLinkClosed)
		}
		if len(c.buf) > 0 {
			k := copy(p, c.buf)
			c.buf = c.buf[k:]
			c.mu.Unlock()
			return k, nil
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-c.l.done:
			c.mu.Lock()
			pending := len(c.buf) > 0
			closed := c.closed
			c.mu.Unlock()
			if pending && !closed {
				continue
			}
			if closed || c.l.err == nil {
				return 0, fmt.Errorf("sim: read: %w", ErrLinkClosed)
			}
			return 0, io.EOF
		}
	}
}

func (c *pipeConn) Write(p []byte) (int, error) {
	select {
	case <-c.l.done:
		if c.l.err == nil {
			return 0, fmt.Errorf("sim: write: %w", ErrLinkClosed)
		}
		return 0, fmt.Errorf("sim: write: %w", c.l.err)
	default:
	}
	if err := c.l.receive(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the link like closing the serial port: queued output is
// dropped, the dongle keeps running.
func (c *pipeConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.buf = nil
	c.mu.Unlock()
	c.l.close(nil)
	return nil
}
