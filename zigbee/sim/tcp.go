package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// ServeTCP serves the dongle as a network-attached coordinator (what
// herdsman and zigpy reach as tcp://host:port): every connection is a link
// to the UART. It returns nil when ctx ends.
func (n *Network) ServeTCP(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("sim: listen %s: %w", addr, err)
	}
	return n.ServeListener(ctx, ln)
}

// ServeListener is ServeTCP on an existing listener, which it closes.
// While the dongle is unplugged new connections are closed at once.
func (n *Network) ServeListener(ctx context.Context, ln net.Listener) error {
	select {
	case <-n.started:
	case <-ctx.Done():
		ln.Close()
		return nil
	}
	if n.cfg.OnReady != nil {
		n.cfg.OnReady("tcp", ln.Addr().String())
	}
	n.log.Info("tcp ready", "event", "tcp_ready", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	defer func() {
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("sim: accept: %w", err)
		}
		if !n.Plugged() {
			c.Close()
			continue
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
			n.serveConn(c)
		})
	}
}

func (n *Network) serveConn(c net.Conn) {
	l := n.attach("tcp "+c.RemoteAddr().String(), func(b []byte) error {
		_, err := c.Write(b)
		return err
	}, func() { c.Close() })
	buf := make([]byte, 4096)
	for {
		k, err := c.Read(buf)
		if k > 0 && l.receive(buf[:k]) != nil {
			break
		}
		if err != nil {
			break
		}
	}
	l.close(nil)
}
