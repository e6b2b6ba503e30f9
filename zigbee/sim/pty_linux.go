package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// hostPollInterval is how often ServePTY checks whether a host has opened
// the slave side again after it closed it (Linux reports EIO on the master
// while no process holds the slave open; there is nothing to wait on).
const hostPollInterval = 10 * time.Millisecond

// ServePTY serves the dongle on a pseudo-terminal: it creates a pty pair in
// raw mode and links path to the slave device once the firmware runs. A
// host opens path like a serial port. Bytes the dongle writes while no
// host has the port open are lost, as on a USB-UART bridge. On unplug the
// pty closes and the link disappears; on replug a new pty (and link) is
// created. ServePTY returns nil when ctx ends, removing the link.
func (n *Network) ServePTY(ctx context.Context, path string) error {
	select {
	case <-n.started:
	case <-ctx.Done():
		return nil
	}
	for {
		plugged, changed := n.plugState()
		if !plugged {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return nil
			case <-n.done:
				return nil
			}
		}
		// Link the pty only once the dongle answers (after a replug it boots).
		if err := n.waitBooted(ctx); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrStopped) {
				return nil
			}
			return err
		}
		if err := n.servePTYOnce(ctx, path); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-n.done:
			return nil
		default:
		}
	}
}

func (n *Network) servePTYOnce(ctx context.Context, path string) error {
	ptmx, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("sim: pty: %w", err)
	}
	master, err := pollable(ptmx)
	if err != nil {
		slave.Close()
		return fmt.Errorf("sim: pty: %w", err)
	}
	if err := makeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return fmt.Errorf("sim: pty raw mode: %w", err)
	}
	slaveName := slave.Name()
	// Close our slave fd so the master sees a hang-up (EIO) whenever no host
	// holds the port open.
	slave.Close()

	var connMu sync.Mutex
	connected := false
	l := n.attach("pty "+path, func(b []byte) error {
		connMu.Lock()
		c := connected
		connMu.Unlock()
		if !c {
			return nil // nobody has the port open: the bytes are lost
		}
		_, err := master.Write(b)
		return err
	}, func() { master.Close() })

	if err := replaceSymlink(slaveName, path); err != nil {
		l.close(nil)
		return fmt.Errorf("sim: pty link %s: %w", path, err)
	}
	n.log.Info("pty ready", "event", "pty_ready", "path", path, "tty", slaveName)
	if n.cfg.OnReady != nil {
		n.cfg.OnReady("pty", path)
	}

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		t := time.NewTicker(hostPollInterval)
		defer t.Stop()
		for {
			k, err := master.Read(buf)
			if k > 0 {
				connMu.Lock()
				connected = true
				connMu.Unlock()
				if l.receive(buf[:k]) != nil {
					return
				}
			}
			if err == nil {
				continue
			}
			if errors.Is(err, syscall.EIO) {
				connMu.Lock()
				connected = false
				connMu.Unlock()
				select {
				case <-l.done:
					return
				case <-t.C:
					continue
				}
			}
			return // master closed
		}
	}()

	select {
	case <-ctx.Done():
	case <-l.done: // unplugged or stopped
	case <-n.done:
	}
	removeSymlink(path, slaveName)
	l.close(nil)
	<-readDone
	return nil
}

// pollable returns a non-blocking duplicate of f managed by the runtime
// poller, so that Close interrupts a blocked Read (pty.Open hands out the
// master in blocking mode), and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CLOCAL | unix.CREAD
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// replaceSymlink points path at target, replacing a stale symlink (never a
// regular file or device).
func replaceSymlink(target, path string) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("%s exists and is not a symlink", path)
		}
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	return os.Symlink(target, path)
}

// removeSymlink removes path if it still points at target.
func removeSymlink(path, target string) {
	if t, err := os.Readlink(path); err == nil && t == target {
		os.Remove(path)
	}
}
