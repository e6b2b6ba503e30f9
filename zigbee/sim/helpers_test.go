package sim

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhubhq/zhub/zigbee/znp"
)

// guard bounds how long a test waits for a frame that must come; it is a
// hang guard, not a timing assertion.
const guard = 10 * time.Second

// testConfig returns a fast configuration with a state file in a temp dir.
func testConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		StatePath:    filepath.Join(t.TempDir(), "state.json"),
		ConfirmDelay: time.Millisecond,
		DeviceDelay:  2 * time.Millisecond,
		ResetDelay:   5 * time.Millisecond,
		Seed:         1,
	}
}

// startNet runs a network until the test ends.
func startNet(t *testing.T, cfg Config) *Network {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return n
}

// host is a raw MT host on a link: it writes frames and reads every frame
// the dongle sends.
type host struct {
	t      *testing.T
	rw     io.ReadWriteCloser
	frames chan znp.Frame
	done   chan struct{}
	mu     sync.Mutex
	seen   []znp.Frame // frames skipped by waitFor, in order
}

func newHost(t *testing.T, rw io.ReadWriteCloser) *host {
	t.Helper()
	h := &host{t: t, rw: rw, frames: make(chan znp.Frame, 1024), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(rw)
		sc.Buffer(make([]byte, 4096), 4096)
		sc.Split(znp.SplitFrames)
		for sc.Scan() {
			f, err := znp.ParseFrame(sc.Bytes())
			if err != nil {
				continue
			}
			f.Payload = append([]byte(nil), f.Payload...)
			h.frames <- f
		}
		close(h.frames)
	}()
	t.Cleanup(func() {
		rw.Close()
		<-h.done
	})
	return h
}

func openHost(t *testing.T, n *Network) *host {
	t.Helper()
	rw, err := n.OpenZNP(context.Background())
	if err != nil {
		t.Fatalf("OpenZNP: %v", err)
	}
	return newHost(t, rw)
}

func mustFrame(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func hdr(typ znp.Type, sub znp.Subsystem, id uint8) znp.Header {
	return znp.Header{Type: typ, Subsystem: sub, ID: id}
}

// send writes one frame.
func (h *host) send(sub znp.Subsystem, id uint8, payload []byte) {
	h.t.Helper()
	typ := znp.SREQ
	if sub == znp.SYS && id == 0x00 {
		typ = znp.AREQ
	}
	b, err := znp.AppendFrame(nil, znp.Frame{Header: hdr(typ, sub, id), Payload: payload})
	if err != nil {
		h.t.Fatal(err)
	}
	h.write(b)
}

func (h *host) write(b []byte) {
	h.t.Helper()
	if _, err := h.rw.Write(b); err != nil {
		h.t.Fatalf("write: %v", err)
	}
}

// next returns the next frame from the dongle.
func (h *host) next() znp.Frame {
	h.t.Helper()
	select {
	case f, ok := <-h.frames:
		if !ok {
			h.t.Fatalf("link closed while waiting for a frame")
		}
		return f
	case <-time.After(guard):
		h.t.Fatalf("no frame from the dongle")
	}
	return znp.Frame{}
}

// waitFor returns the first frame with header want, skipping (and
// remembering) others.
func (h *host) waitFor(want znp.Header) znp.Frame {
	h.t.Helper()
	for {
		f := h.next()
		if f.Header == want {
			return f
		}
		h.mu.Lock()
		h.seen = append(h.seen, f)
		h.mu.Unlock()
	}
}

// waitMatch returns the first frame for which ok returns true.
func (h *host) waitMatch(ok func(znp.Frame) bool) znp.Frame {
	h.t.Helper()
	for {
		f := h.next()
		if ok(f) {
			return f
		}
		h.mu.Lock()
		h.seen = append(h.seen, f)
		h.mu.Unlock()
	}
}

// request sends an SREQ and returns its SRSP payload (failing on an RPC
// error).
func (h *host) request(sub znp.Subsystem, id uint8, payload []byte) []byte {
	h.t.Helper()
	h.send(sub, id, payload)
	f := h.waitMatch(func(f znp.Frame) bool {
		return f.Type == znp.SRSP && (f.Subsystem == sub && f.ID == id || f.Subsystem == znp.RPCError)
	})
	if f.Subsystem == znp.RPCError {
		h.t.Fatalf("request %v/0x%02X: RPC error % X", sub, id, f.Payload)
	}
	return f.Payload
}

// status sends an SREQ whose SRSP is one status byte and checks it.
func (h *host) status(sub znp.Subsystem, id uint8, payload []byte, want byte) {
	h.t.Helper()
	p := h.request(sub, id, payload)
	if len(p) != 1 || p[0] != want {
		h.t.Fatalf("request %v/0x%02X [% X]: SRSP % X, want status %02X", sub, id, payload, p, want)
	}
}

func le16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }

// syncBuffer is a concurrency-safe bytes.Buffer for traces.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

func hexFrame(typ znp.Type, sub znp.Subsystem, id uint8, p []byte) string {
	return hexUpper(frameBytes(typ, sub, id, p))
}
