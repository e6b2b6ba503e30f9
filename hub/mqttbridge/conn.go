package mqttbridge

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// maxBatch bounds the bytes a batchConn holds unwritten; a writer beyond
// it waits (back-pressure from a slow broker reaches the publisher).
const maxBatch = 1 << 20

// batchConn turns paho's one-write-per-packet into one write per batch:
// Write copies into a buffer and returns, and a flusher goroutine writes
// everything buffered in one system call. While the socket is busy with
// one batch the next one fills, so a burst of small PUBLISH packets costs
// a few writes instead of one each (the per-packet write, not the CPU,
// bounds paho's publish rate). Order is kept; a write error is returned by
// the next Write. Close stops the flusher.
type batchConn struct {
	net.Conn

	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	spare  []byte
	err    error
	closed bool
	done   chan struct{}

	// The read side (inbound.go), used by paho's reader only. onPublish,
	// when set before paho reads, receives every PUBLISH; payload is
	// valid during the call.
	onPublish func(topic string, payload []byte)
	rbuf      []byte // the read buffer; in is its unparsed part
	in        []byte
	out       []byte // bytes of a packet paho reads
	pass      int    // bytes of that packet not yet in out
	need      int    // bytes the packet at the start of in has in all
	qos2      map[uint16]bool
}

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c, done: make(chan struct{})}
	b.cond.L = &b.mu
	go b.flush()
	return b
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.buf) >= maxBatch && b.err == nil && !b.closed {
		b.cond.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		return 0, net.ErrClosed
	}
	b.buf = append(b.buf, p...)
	b.cond.Broadcast()
	return len(p), nil
}

// publish0 queues a QoS 0 PUBLISH packet (MQTT 3.1.1 §3.3): the bridge's
// fast path for state messages, which need no packet id, no
// acknowledgement and so no client state. The bridge uses it only on a
// connection paho has completed (CONNACK and SUBACK seen), so the packet
// never precedes CONNECT.
func (b *batchConn) publish0(topic string, retain bool, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.buf) >= maxBatch && b.err == nil && !b.closed {
		b.cond.Wait()
	}
	if b.err != nil {
		return b.err
	}
	if b.closed {
		return net.ErrClosed
	}
	h := byte(0x30)
	if retain {
		h |= 0x01
	}
	b.buf = append(b.buf, h)
	for n := 2 + len(topic) + len(payload); ; {
		d := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			d |= 0x80
		}
		b.buf = append(b.buf, d)
		if n == 0 {
			break
		}
	}
	b.buf = append(b.buf, byte(len(topic)>>8), byte(len(topic)))
	b.buf = append(b.buf, topic...)
	b.buf = append(b.buf, payload...)
	b.cond.Broadcast()
	return nil
}

func (b *batchConn) flush() {
	defer close(b.done)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for len(b.buf) == 0 && !b.closed {
			b.cond.Wait()
		}
		if b.closed && len(b.buf) == 0 {
			return
		}
		out := b.buf
		b.buf = b.spare[:0]
		b.mu.Unlock()
		_, err := b.Conn.Write(out)
		b.mu.Lock()
		b.spare = out[:0]
		if cap(b.spare) > maxBatch {
			b.spare = nil // do not keep a burst's buffer forever
		}
		if err != nil && b.err == nil {
			b.err = err
		}
		b.cond.Broadcast()
		if b.err != nil {
			b.buf = nil
			return
		}
	}
}

// Close writes what is buffered (for at most two seconds: paho's
// DISCONNECT is among it), then closes the connection.
func (b *batchConn) Close() error {
	_ = b.Conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	b.mu.Lock()
	b.closed = true
	b.cond.Broadcast()
	for len(b.buf) > 0 && b.err == nil {
		b.cond.Wait()
	}
	b.mu.Unlock()
	err := b.Conn.Close()
	<-b.done
	return err
}

// openConn is paho's connection opener with batched writes for the TCP
// and TLS schemes (the others are opened as paho does, unbatched). The
// newest batched connection is kept for the QoS 0 fast path, and hands
// the messages it receives to the bridge itself (inbound.go).
func (br *Bridge) openConn(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
	c, err := openConn(u, o)
	if bc, ok := c.(*batchConn); ok && err == nil {
		bc.onPublish = br.onPublish
		br.newConn.Store(bc)
	}
	return c, err
}

func openConn(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
	d := &net.Dialer{Timeout: o.ConnectTimeout}
	host := func(port string) string {
		if u.Port() == "" {
			return net.JoinHostPort(u.Hostname(), port)
		}
		return u.Host
	}
	switch u.Scheme {
	case "mqtt", "tcp":
		c, err := d.Dial("tcp", host("1883"))
		if err != nil {
			return nil, err
		}
		return newBatchConn(c), nil
	case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps":
		c, err := tls.DialWithDialer(d, "tcp", host("8883"), o.TLSConfig)
		if err != nil {
			return nil, err
		}
		return newBatchConn(c), nil
	case "ws", "wss":
		du := *u
		du.User = nil
		var tlsc *tls.Config
		if u.Scheme == "wss" {
			tlsc = o.TLSConfig
		}
		return paho.NewWebsocket(du.String(), tlsc, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	case "unix":
		p := u.Path
		if u.Host != "" {
			p = u.Host
		}
		return d.Dial("unix", p)
	}
	return nil, fmt.Errorf("mqttbridge: %w", errors.New("unknown broker URL scheme "+u.Scheme))
}
