package sim

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee"
	"github.com/zhubhq/zhub/zigbee/znp"
)

// readyEvents returns a config whose OnReady reports on a channel.
func readyEvents(t *testing.T) (Config, chan string) {
	cfg := testConfig(t)
	ch := make(chan string, 8)
	cfg.OnReady = func(fe, addr string) { ch <- addr }
	return cfg, ch
}

func TestPTY(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pty front end is Linux only")
	}
	cfg, ready := readyEvents(t)
	n := startNet(t, cfg)
	path := filepath.Join(t.TempDir(), "ttyZNP")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.ServePTY(ctx, path) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServePTY: %v", err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("symlink left behind after ServePTY returned: %v", err)
		}
	}()
	<-ready

	// Open it like a real dongle, twice in a row (close, reopen).
	for range 2 {
		port, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: path})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		h := newHost(t, port)
		h.write(mustFrame(t, "EF"))
		h.write(mustFrame(t, "FE00210120"))
		if f := h.next(); f.Header != hdr(znp.SRSP, znp.SYS, 0x01) {
			t.Fatalf("answer %v", f)
		}
		port.Close()
		<-h.done
	}

	port, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, port)
	if err := n.Unplug(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-h.done // the reader saw the pty go away
	// ServePTY removes the link right after the pty closed; there is
	// nothing to wait on but the file system.
	for deadline := time.Now().Add(guard); ; {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("symlink still there after unplug")
		}
		time.Sleep(time.Millisecond)
	}
	if err := n.Replug(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-ready
	port2, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: path})
	if err != nil {
		t.Fatalf("open after replug: %v", err)
	}
	h2 := newHost(t, port2)
	h2.write(mustFrame(t, "FE00210120"))
	h2.waitFor(hdr(znp.SRSP, znp.SYS, 0x01))
}

func TestTCP(t *testing.T) {
	cfg, ready := readyEvents(t)
	n := startNet(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.ServeListener(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	}()
	addr := <-ready
	port, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: "tcp://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, port)
	herdsmanStart(t, h, testNet)
	if err := n.Unplug(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-h.done // connection dropped
	c, err := net.Dial("tcp", addr)
	if err == nil {
		// Accepted and closed at once while unplugged.
		b := make([]byte, 1)
		if _, err := c.Read(b); err == nil {
			t.Fatal("read from an unplugged dongle succeeded")
		}
		c.Close()
	}
	if err := n.Replug(t.Context()); err != nil {
		t.Fatal(err)
	}
	port2, err := zigbee.OpenPort(t.Context(), zigbee.PortConfig{Path: "tcp://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHost(t, port2)
	h2.waitFor(hdr(znp.AREQ, znp.SYS, 0x80))
	if got := herdsmanStart(t, h2, testNet); got != "resumed" {
		t.Fatalf("after replug: %s", got)
	}
}
