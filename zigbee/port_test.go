package zigbee

import (
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"

	"github.com/creack/pty"
)

func TestOpenPortPTY(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()

	p, err := OpenPort(t.Context(), PortConfig{Path: tty.Name(), RTSCTS: true})
	if err != nil {
		t.Fatalf("OpenPort: %v", err)
	}
	defer p.Close()
	on, err := rtsctsEnabled(tty.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !on {
		t.Error("CRTSCTS not set after OpenPort with RTSCTS")
	}
	// Bytes flow both ways through the raw port.
	if _, err := p.Write([]byte{0xFE, 0x00, 0x21, 0x01, 0x20}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(ptmx, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte{0xFE, 0x00, 0x21, 0x01, 0x20}) {
		t.Errorf("read % X", got)
	}
	// A second exclusive open of the same device is refused as busy.
	if p2, err := OpenPort(t.Context(), PortConfig{Path: tty.Name()}); err == nil {
		p2.Close()
		t.Error("second open succeeded; want busy")
	} else if !errors.Is(err, ErrPortBusy) {
		t.Errorf("second open: %v, want ErrPortBusy", err)
	}
}

func TestOpenPortErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing device", filepath.Join(t.TempDir(), "ttyUSB9"), ErrPortNotFound},
		{"empty path", "", ErrBadPort},
		{"regular file", writeFile(t), ErrBadPort},
		{"tcp refused", "tcp://" + closedAddr(t), ErrBadPort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := OpenPort(t.Context(), PortConfig{Path: tc.path})
			if err == nil {
				p.Close()
				t.Fatal("opened; want error")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *PortError
			if !errors.As(err, &pe) || pe.Hint == "" {
				t.Errorf("error %v has no hint", err)
			}
		})
	}
}

func TestOpenPortTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- nil
			return
		}
		defer c.Close()
		b := make([]byte, 3)
		io.ReadFull(c, b)
		done <- b
	}()
	p, err := OpenPort(t.Context(), PortConfig{Path: "tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte{1, 2, 3})
	if got := <-done; !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("server read % X", got)
	}
	p.Close()
}

func writeFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "notatty")
	if err := writeAll(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}
